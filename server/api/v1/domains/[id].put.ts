import { domainUpdateSchema } from '#shared/schemas/domain'
import { domainsDb } from '../../../db/queries/domains'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam, readValidBody } from '../../../utils/validate'

/** PUT /api/v1/domains/:id — changes `active` and/or `description` (the name is fixed). */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, domainUpdateSchema)
  const domain = await domainsDb.update(id, changes)
  if (!domain) throw apiErrors.notFound('DOMAIN')
  return respond.message(`Domain ${domain.name} updated`)
})
