import { aliasCreateSchema } from '#shared/schemas/alias'
import { aliasesDb } from '#server/db/queries/aliases'
import { refuseAliasLoop, resolveLocalPart } from '#server/services/directory/addresses'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** POST /api/v1/aliases — forwards `source` (in the domain) to one or more destination addresses. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, aliasCreateSchema)
  const { domain, localPart } = await resolveLocalPart(input.domain_id, input.source, 'source')
  refuseAliasLoop(`${localPart}@${domain.name}`, input.destinations)
  const alias = await aliasesDb.create(input.domain_id, localPart, input.destinations, input.active)
  await webhooks.emit('alias.created', alias)
  return respond.message(`Alias ${alias.source} created`, { id: alias.id })
}, { status: 201 })
