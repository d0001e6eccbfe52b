import { mkdirSync } from 'node:fs'
import postgres from 'postgres'
import type { Sql } from 'postgres'
import { consola } from 'consola'
import { scrubSecrets } from '#server/utils/errors'
import { serveEmbedded } from './embedded-socket'
import { lockEmbeddedDir } from './embedded-lock'

// Few connections on purpose: postgres.js pipelines queued queries on each, so under load 10 sockets
// carry more per syscall than 20 (measured +15 % req/s on the single-mailbox GET, 2 cores).
const POOL_SIZE = 10
// PGlite runs one query at a time anyway; a few connections let transactions queue rather than fail.
const EMBEDDED_POOL_SIZE = 8
// Spare socket slots so an admin (or a test) can psql into the embedded database while the panel runs.
const EMBEDDED_SPARE_CONNECTIONS = 4
const MAX_BACKOFF_MS = 10_000

export interface Database {
  sql: Sql
  embedded: boolean
  close: () => Promise<void>
}

const baseOptions = {
  onnotice: () => {},
  connection: { application_name: 'backendside-mailpanel' },
  idle_timeout: 60,
  // postgres.js waits 30 s by default for a new connection; after a database outage the first
  // reconnect could hang that long, so every request and policy decision behind it would too.
  connect_timeout: 5,
  // `bigint` columns (message sizes) fit in a double; return numbers, not strings.
  types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
}

/** A PGlite database (in memory without `dataDir`) with the extensions the migrations need. */
export async function createPglite(dataDir?: string): Promise<import('@electric-sql/pglite').PGlite> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')])
  // pg_trgm serves the indexed searches (migration 0018), as PostgreSQL's contrib does on a server.
  return PGlite.create(dataDir, { extensions: { pg_trgm } })
}

/** The embedded PostgreSQL (PGlite behind a loopback wire-protocol socket) for a zero-setup first run. */
async function openEmbedded(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true })
  const unlock = lockEmbeddedDir(dataDir)
  let db: import('@electric-sql/pglite').PGlite
  let server: Awaited<ReturnType<typeof serveEmbedded>>
  try {
    db = await createPglite(dataDir)
    server = await serveEmbedded(db, EMBEDDED_POOL_SIZE + EMBEDDED_SPARE_CONNECTIONS)
  }
  catch (err) {
    unlock()
    throw err
  }
  consola.info(`Embedded PostgreSQL (PGlite) at postgres://postgres@127.0.0.1:${server.port}/postgres, data in ${dataDir}`)
  const sql = postgres({ ...baseOptions, host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', max: EMBEDDED_POOL_SIZE })
  return {
    sql,
    embedded: true,
    close: async () => {
      await sql.end({ timeout: 2 })
      await server.close()
      await db.close()
      unlock()
    },
  }
}

/**
 * Connects to DATABASE_URL, or starts the embedded database; retries with back-off until it answers
 * (the server), or gives up after `attempts` with the last error (a command on the command line).
 */
export async function openDatabase(databaseUrl: string | undefined, embeddedDir: string, { attempts = Infinity } = {}): Promise<Database> {
  const database = databaseUrl
    ? { sql: postgres(databaseUrl, { ...baseOptions, max: POOL_SIZE }), embedded: false, close: async () => {} }
    : await openEmbedded(embeddedDir)
  if (!database.embedded) database.close = () => database.sql.end({ timeout: 5 })

  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
    try {
      await database.sql`SELECT 1`
      return database
    }
    catch (err) {
      if (attempt >= attempts) {
        await database.close().catch(() => {})
        throw err
      }
      consola.warn(`Database not reachable (attempt ${attempt}): ${scrubSecrets((err as Error).message)}; retrying in ${delay} ms`)
      await new Promise(r => setTimeout(r, delay))
    }
  }
}
