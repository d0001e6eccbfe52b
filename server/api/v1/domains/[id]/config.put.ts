import { overridesUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PUT /api/v1/domains/:id/config — sets overrides (any subset); null clears one. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, overridesUpdateSchema)
  const updated = await limitsDb.updateOverrides('domains', id, changes)
  if (!updated) throw apiErrors.notFound('DOMAIN')
  return respond.message('Domain configuration updated')
})
