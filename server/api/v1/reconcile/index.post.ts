import * as v from 'valibot'
import { reconciler } from '#server/mailstack/runner'
import { reconcileSummary } from '#server/mailstack/summary'
import { defineApiHandler } from '#server/request/api-handler'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject({
  dry_run: v.optional(v.pipe(v.picklist(['true', 'false', '1', '0'], 'must be true or false'), v.transform(s => s === 'true' || s === '1')), 'false'),
})

/**
 * POST /api/v1/reconcile — runs the reconciler now and returns its report. `?dry_run=true` is the
 * plan: every file is rendered and validated and the report carries a unified `diff` (secrets
 * redacted), but nothing is written and nothing reloads. A refused configuration is `ok: false`
 * in a 200: the request worked, the report says what the daemons' checkers said.
 */
export default defineApiHandler(async (event) => {
  const { dry_run: dryRun } = getValidQuery(event, query)
  const report = await reconciler.run(dryRun ? 'api-dry-run' : 'api', { dryRun })
  return { message: reconcileSummary(report), ...report }
}, { query: true })
