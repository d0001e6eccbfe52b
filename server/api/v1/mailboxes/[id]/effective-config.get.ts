import { limitsDb } from '../../../../db/queries/limits'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { mergeLimits } from '../../../../utils/limits'
import { getIdParam } from '../../../../utils/validate'

/** GET /api/v1/mailboxes/:id/effective-config — per limit, `{value, source}` after merging the three tiers. */
export default defineApiHandler(async (event) => {
  const tiers = await limitsDb.tiersForMailbox(getIdParam(event))
  if (!tiers) throw apiErrors.notFound('MAILBOX')
  return mergeLimits(tiers.server, tiers.domain, tiers.mailbox)
})
