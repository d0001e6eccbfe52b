import { defineApiHandler } from '../../../../utils/api-handler'
import { apiTokens } from '../../../../utils/api-tokens'
import { apiErrors } from '../../../../utils/errors'
import { respond } from '../../../../utils/respond'
import { getIdParam } from '../../../../utils/validate'

/** DELETE /api/v1/admin/tokens/:id — revokes the token; it fails from the next request on. */
export default defineApiHandler(async (event) => {
  const gone = await apiTokens.revoke(getIdParam(event))
  if (!gone) throw apiErrors.notFound('TOKEN')
  return respond.message(`Token ${gone.name} revoked`)
})
