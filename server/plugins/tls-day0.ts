import { day0 } from '#server/services/tls/day0'
import { databaseInfo } from '#server/db/use'

const POLL_MS = 250

/** Imports the day-0 self-signed certificate once the database is migrated (the table must never be empty). */
export default defineNitroPlugin((nitroApp) => {
  let timer: NodeJS.Timeout | undefined
  let closing = false
  let running: Promise<void> | undefined

  function attempt(): void {
    if (closing) return
    if (!databaseInfo().ready) {
      timer = setTimeout(attempt, POLL_MS)
      return
    }
    // A failure is logged; the next certificate request or reconciler run tries again.
    running = day0.settled()
  }

  timer = setTimeout(attempt, 0)
  // Registered before the database plugin's own close hook, so an import in flight finishes first.
  nitroApp.hooks.hookOnce('close', async () => {
    closing = true
    clearTimeout(timer)
    await running
  })
})
