import { consola } from 'consola'
import { databaseReady } from '#server/db/use'
import { mailstats } from '#server/services/mailstats/mailstats'
import { scrubSecrets } from '#server/utils/errors'
import { useConfig } from '#server/utils/config'

const PRUNE_EVERY_MS = 60 * 60 * 1000

/**
 * The stats collector: every MAILSTATS_INTERVAL_S (default 10 s) it reads what Postfix added to its log
 * since the last pass (server/services/mailstats/collector.ts). One pass at a time; a pass in progress
 * finishes before shutdown, so its transaction either stores a batch with its cursor or nothing.
 */
export default defineNitroPlugin((nitroApp) => {
  let closing = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let lastPrune = 0
  let lastError = ''

  async function pass(): Promise<void> {
    await mailstats.collect()
    if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = Date.now()
      await mailstats.prune()
    }
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
