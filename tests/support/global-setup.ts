import type { TestProject } from 'vitest/node'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer } from './server'

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string
    serverRoot: string
    /** Direct SQL access for assertions the API cannot show (e.g. the stored hash). */
    databaseUrl: string
  }
}

/** One built server for the API suite, on a fresh database (real PostgreSQL if DATABASE_URL is set, else embedded). */
export default async function setup(project: TestProject) {
  const db = await createTestDatabase()
  const root = await makeRoot()
  const server = await startServer({ root, databaseUrl: db.url })
  // The suite sends thousands of requests from 127.0.0.1: lift the per-IP limits on the shared
  // server (rate limiting itself is tested on dedicated servers with the defaults).
  await raiseRateLimits(server.url)
  project.provide('serverUrl', server.url)
  project.provide('serverRoot', root)
  project.provide('databaseUrl', server.databaseUrl)
  return async () => {
    // A 500 is a bug: show the server's own account of any (its error handler logs `… failed: <stack>`).
    const failures = server.output().split('\n').filter(line => / failed: /.test(line))
    if (failures.length) process.stderr.write(`The shared API server logged ${failures.length} failed request(s):\n${failures.join('\n')}\n`)
    await server.stop()
    await db.drop()
    removeRoot(root)
  }
}
