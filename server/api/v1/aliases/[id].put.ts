import { aliasUpdateSchema } from '#shared/schemas/alias'
import { aliasesDb } from '../../../db/queries/aliases'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam, readValidBody } from '../../../utils/validate'

/** PUT /api/v1/aliases/:id — replaces the destinations and/or sets active. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, aliasUpdateSchema)
  if (!await aliasesDb.update(id, changes)) throw apiErrors.notFound('ALIAS')
  return respond.message('Alias updated')
})
