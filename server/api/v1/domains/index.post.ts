import { domainCreateSchema } from '#shared/schemas/domain'
import { domainsDb } from '#server/db/queries/domains'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** POST /api/v1/domains — adds a virtual domain; 409 DOMAIN_EXISTS if the name is taken. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, domainCreateSchema)
  const domain = await domainsDb.create(input)
  await webhooks.emit('domain.created', domain)
  return respond.message(`Domain ${domain.name} created`, { id: domain.id })
}, { status: 201 })
