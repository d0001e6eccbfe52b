import { domainUpdateSchema } from '#shared/schemas/domain'
import { domainsDb } from '#server/db/queries/domains'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PUT /api/v1/domains/:id — changes `active` and/or `description` (the name is fixed). */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, domainUpdateSchema)
  const domain = await domainsDb.update(id, changes)
  if (!domain) throw apiErrors.notFound('DOMAIN')
  return respond.message(`Domain ${domain.name} updated`)
})
