import { consola } from 'consola'
import { day0 } from '../services/tls/day0'
import { databaseInfo } from '../utils/db'
import { scrubSecrets } from '../utils/errors'

const POLL_MS = 250

/** Imports the day-0 self-signed certificate once the database is migrated (the table must never be empty). */
export default defineNitroPlugin((nitroApp) => {
  let timer: NodeJS.Timeout | undefined
  let closing = false

  function attempt(): void {
    if (closing) return
    if (!databaseInfo().ready) {
      timer = setTimeout(attempt, POLL_MS)
      return
    }
    // A failure is logged; the next certificate request or reconciler run tries again.
    day0.ensure().catch((err: Error) => consola.warn(`TLS: day-0 certificate not imported: ${scrubSecrets(err.message)}`))
  }

  timer = setTimeout(attempt, 0)
  nitroApp.hooks.hookOnce('close', () => {
    closing = true
    clearTimeout(timer)
  })
})
