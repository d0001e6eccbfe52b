import { aliasUpdateSchema } from '#shared/schemas/alias'
import { aliasesDb } from '#server/db/queries/aliases'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { refuseAliasLoop } from '#server/services/directory/addresses'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PUT /api/v1/aliases/:id — replaces the destinations and/or sets active. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, aliasUpdateSchema)
  if (changes.destinations) {
    const alias = await aliasesDb.get(id)
    if (!alias) throw apiErrors.notFound('ALIAS')
    refuseAliasLoop(alias.source, changes.destinations)
  }
  if (!await aliasesDb.update(id, changes)) throw apiErrors.notFound('ALIAS')
  return respond.message('Alias updated')
})
