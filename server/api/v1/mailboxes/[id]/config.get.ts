import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/mailboxes/:id/config — the mailbox's own overrides; null = inherits. */
export default defineApiHandler(async (event) => {
  const overrides = await limitsDb.getOverrides('mailboxes', getIdParam(event))
  if (!overrides) throw apiErrors.notFound('MAILBOX')
  return overrides
})
