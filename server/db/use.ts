import type { Sql } from 'postgres'
import type { Database } from './connect'
import { apiErrors } from '#server/utils/errors'

// Set once by the database plugin; requests wait on `ready` instead of racing start-up.
let database: Database | undefined
let resolveReady!: () => void
const ready = new Promise<void>((resolve) => {
  resolveReady = resolve
})

export function setDatabase(db: Database): void {
  database = db
  resolveReady()
}

/** Resolves once the database is connected and migrated (background services start from here). */
export function databaseReady(): Promise<void> {
  return ready
}

export function databaseInfo(): { ready: boolean, embedded: boolean } {
  return { ready: Boolean(database), embedded: database?.embedded ?? false }
}

/** Resolves when the database is connected and migrated; gives up after `timeoutMs` with a 503. */
export async function waitForDatabase(timeoutMs: number): Promise<void> {
  if (database) return
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(apiErrors.unavailable('The database is starting up or unreachable; retry shortly.')), timeoutMs)
  })
  try {
    await Promise.race([ready, timeout])
  }
  finally {
    clearTimeout(timer)
  }
}

/** The postgres.js tag for queries; only valid after start-up (every API request awaits that first). */
export function useDb(): Sql {
  if (!database) throw apiErrors.unavailable('The database is not connected yet; retry shortly.')
  return database.sql
}
