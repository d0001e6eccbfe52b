import { consola } from 'consola'
import { databaseInfo } from '#server/db/use'
import { scrubSecrets } from '#server/utils/errors'
import { webhooks } from '#server/services/webhooks/webhooks'

// PGlite has no LISTEN/NOTIFY, so due deliveries (retries, or events queued by another process)
// are found by polling; events queued by this process wake the worker at once. A pass only claims
// and starts deliveries, so it is short even when a receiver is slow.
const POLL_MS = 1_000
const PRUNE_EVERY_MS = 60 * 60 * 1_000
const KEEP_FINISHED_DAYS = 7

/** Sends queued webhook deliveries (the outbox in webhook_deliveries), one pass at a time. */
export default defineNitroPlugin((nitroApp) => {
  let closing = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let wokenWhileRunning = false
  let lastPrune = 0
  let lastError = ''

  async function pass(): Promise<boolean> {
    // Requests wait for the database; the worker just skips passes until it is migrated.
    if (!databaseInfo().ready) return false
    if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = Date.now()
      await webhooks.prune(KEEP_FINISHED_DAYS)
    }
    const { full } = await webhooks.deliverDue()
    lastError = ''
    return full
  }

  function run(): void {
    if (closing) return
    if (running) {
      wokenWhileRunning = true
      return
    }
    clearTimeout(timer)
    running = pass()
      .catch((err: Error) => {
        // One line per distinct failure, not one a second while the database is down.
        const message = scrubSecrets(err.message)
        if (message !== lastError) consola.warn(`Webhook worker: ${message}`)
        lastError = message
        return false
      })
      .then((more) => {
        running = undefined
        const again = more || wokenWhileRunning
        wokenWhileRunning = false
        if (!closing) timer = setTimeout(run, again ? 0 : POLL_MS)
      })
  }

  webhooks.onQueued(run)
  timer = setTimeout(run, POLL_MS)

  // Registered now, at plugin set-up, while the database plugin registers its own close hook only
  // once connected: hooks run in order, so in-flight deliveries finish (and record their outcome)
  // before the pool closes.
  nitroApp.hooks.hookOnce('close', async () => {
    closing = true
    clearTimeout(timer)
    webhooks.onQueued(undefined)
    await running
    await webhooks.idle()
  })
})
