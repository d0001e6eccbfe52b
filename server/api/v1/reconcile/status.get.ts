import { mailstackDb } from '#server/db/queries/mailstack'
import { detectCapabilities } from '#server/mailstack/capabilities'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'

/**
 * GET /api/v1/reconcile/status — the newest run (per-file result, reloads, notes, errors), when the
 * configuration was last applied cleanly, whether a run is in progress or queued, and which daemons
 * this machine has.
 */
export default defineApiHandler(async () => {
  const { last, lastSuccess } = await mailstackDb.lastRuns()
  return {
    ...reconciler.state(),
    last_run: last ?? null,
    last_success_at: lastSuccess?.finished_at ?? null,
    capabilities: detectCapabilities(),
  }
})
