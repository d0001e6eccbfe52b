import { consola } from 'consola'
import { databaseReady } from '#server/db/use'
import { scrubSecrets } from '#server/utils/errors'
import { useConfig } from '#server/utils/config'

/**
 * The stats collector's clock: every MAILSTATS_INTERVAL_S (default 10 s) the task mailstats:collect
 * (server/tasks/mailstats/collect.ts) reads what Postfix logged since the last pass. One pass at a
 * time; a pass in progress finishes before shutdown, so its transaction either stores a batch with its
 * cursor or nothing.
 */
export default defineNitroPlugin((nitroApp) => {
  let closing = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let lastError = ''

  async function pass(): Promise<void> {
    await runTask('mailstats:collect')
    lastError = ''
  }

  function schedule(): void {
    if (closing) return
    timer = setTimeout(() => {
      running = pass()
        .catch((err: Error) => {
          // One line per distinct failure, not one per pass while it lasts.
          const message = scrubSecrets(err.message)
          if (message !== lastError) consola.warn(`Mail stats collector: ${message}`)
          lastError = message
        })
        .finally(() => {
          running = undefined
          schedule()
        })
    }, useConfig().mailstatsIntervalMs)
  }

  databaseReady().then(schedule).catch(() => { /* the database plugin reports its own failure */ })
  nitroApp.hooks.hookOnce('close', async () => {
    closing = true
    clearTimeout(timer)
    await running
  })
})
