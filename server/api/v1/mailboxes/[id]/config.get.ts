import { limitsDb } from '../../../../db/queries/limits'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { getIdParam } from '../../../../utils/validate'

/** GET /api/v1/mailboxes/:id/config — the mailbox's own overrides; null = inherits. */
export default defineApiHandler(async (event) => {
  const overrides = await limitsDb.getOverrides('mailboxes', getIdParam(event))
  if (!overrides) throw apiErrors.notFound('MAILBOX')
  return overrides
})
