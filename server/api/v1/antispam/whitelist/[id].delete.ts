import { antispamDb } from '#server/db/queries/antispam'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { apiErrors } from '#server/utils/errors'

/** DELETE /api/v1/antispam/whitelist/:id — removes the entry; the reconciler re-renders the tables. */
export default defineApiHandler(async (event) => {
  const gone = await antispamDb.removeFromWhitelist(getIdParam(event))
  if (!gone) throw apiErrors.notFound('WHITELIST_ENTRY')
  reconciler.request('antispam-whitelist')
  return respond.message(`Whitelist entry ${gone.id} deleted`)
})
