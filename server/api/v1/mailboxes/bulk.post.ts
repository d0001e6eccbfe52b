import { mailboxBulkSchema } from '#shared/schemas/mailbox-import'
import { defineApiHandler } from '#server/request/api-handler'
import { readValidBody } from '#server/request/validate'
import { mailboxBulk } from '#server/services/directory/mailbox-bulk'

/**
 * POST /api/v1/mailboxes/bulk — `{action: activate|deactivate|delete, filter: {domain_id?, search?, ids?}, dry_run?}`
 * on every mailbox the filter matches (GET /api/v1/mailboxes's semantics) → `{action, dry_run, matched, changed}`.
 */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, mailboxBulkSchema)
  const result = await mailboxBulk.run(input)
  event.context.auditTarget = `${input.action} ${result.changed}/${result.matched}${input.dry_run ? ' (dry run)' : ''}`
  return result
})
