import { domainsDb } from '../../../db/queries/domains'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { getIdParam } from '../../../utils/validate'

/** GET /api/v1/domains/:id — the domain. */
export default defineApiHandler(async (event) => {
  const domain = await domainsDb.get(getIdParam(event))
  if (!domain) throw apiErrors.notFound('DOMAIN')
  return domain
})
