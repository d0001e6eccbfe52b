import { domainsDb } from '#server/db/queries/domains'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/domains/:id — the domain. */
export default defineApiHandler(async (event) => {
  const domain = await domainsDb.get(getIdParam(event))
  if (!domain) throw apiErrors.notFound('DOMAIN')
  return domain
})
