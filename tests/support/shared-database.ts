import { createPglite } from '#server/db/connect'
import { serveEmbedded } from '#server/db/embedded-socket'
import { createTestDatabase } from './server'

/**
 * A database several panel processes (or a proxy in front of one) can share by URL: a fresh
 * database on the real PostgreSQL when DATABASE_URL is set, else PGlite served over a loopback
 * socket from the test process (the panel's embedded database only takes its own few connections).
 */
export async function sharedDatabase(): Promise<{ url: string, close: () => Promise<void> }> {
  const real = await createTestDatabase()
  if (real.url) return { url: real.url, close: real.drop }
  const db = await createPglite()
  // Two panels' pools (10 each) plus the test's own connection.
  const server = await serveEmbedded(db, 24)
  return {
    url: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
    close: async () => {
      await server.close()
      await db.close()
    },
  }
}
