import { databaseInfo } from '#server/db/use'
import { mailstats } from '#server/services/mailstats/mailstats'

const PRUNE_EVERY_MS = 60 * 60 * 1000
let lastPrune = 0

/**
 * One stats-collector pass: what Postfix logged since the stored cursor (its file, or the journal with
 * MAILLOG_SOURCE=journald), then, once an hour, minutes older than the retention are pruned. Run every
 * MAILSTATS_INTERVAL_S by server/plugins/mailstats.ts (cron's minute is too coarse for a 10 s chart);
 * Nitro runs one pass at a time, a second call joins the running one.
 */
export default defineTask({
  meta: { name: 'mailstats:collect', description: 'Count what Postfix logged since the last pass into the mail statistics' },
  async run() {
    if (!databaseInfo().ready) return { result: 'skipped: the database is not ready' }
    const { lines, missing } = await mailstats.collect()
    if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = Date.now()
      await mailstats.prune()
    }
    return { result: missing ? 'no log yet' : `${lines} lines` }
  },
})
