import { defineApiHandler } from '#server/request/api-handler'
import { apiTokens } from '#server/services/access/api-tokens'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'

/** DELETE /api/v1/admin/tokens/:id — revokes the token; it fails from the next request on. */
export default defineApiHandler(async (event) => {
  const gone = await apiTokens.revoke(getIdParam(event))
  if (!gone) throw apiErrors.notFound('TOKEN')
  return respond.message(`Token ${gone.name} revoked`)
})
