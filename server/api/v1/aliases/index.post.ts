import { aliasCreateSchema } from '#shared/schemas/alias'
import { aliasesDb } from '../../../db/queries/aliases'
import { resolveLocalPart } from '../../../services/addresses'
import { defineApiHandler } from '../../../utils/api-handler'
import { respond } from '../../../utils/respond'
import { readValidBody } from '../../../utils/validate'
import { webhooks } from '../../../utils/webhooks'

/** POST /api/v1/aliases — forwards `source` (in the domain) to one or more destination addresses. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, aliasCreateSchema)
  const { localPart } = await resolveLocalPart(input.domain_id, input.source, 'source')
  const alias = await aliasesDb.create(input.domain_id, localPart, input.destinations, input.active)
  await webhooks.emit('alias.created', alias)
  return respond.message(`Alias ${alias.source} created`, { id: alias.id })
}, { status: 201 })
