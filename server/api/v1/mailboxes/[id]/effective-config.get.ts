import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { getIdParam } from '#server/request/validate'
import { apiErrors } from '#server/utils/errors'

/** GET /api/v1/mailboxes/:id/effective-config — per limit, `{value, source}` after merging the three tiers. */
export default defineApiHandler(async (event) => {
  const limits = await limitsDb.effective(getIdParam(event))
  if (!limits) throw apiErrors.notFound('MAILBOX')
  return limits
})
