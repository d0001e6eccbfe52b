import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/domains/:id/config — the domain's limit overrides; null = inherits the server default. */
export default defineApiHandler(async (event) => {
  const overrides = await limitsDb.getOverrides('domains', getIdParam(event))
  if (!overrides) throw apiErrors.notFound('DOMAIN')
  return overrides
})
