import { overridesUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '../../../../db/queries/limits'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { respond } from '../../../../utils/respond'
import { getIdParam, readValidBody } from '../../../../utils/validate'

/** PUT /api/v1/domains/:id/config — sets overrides (any subset); null clears one. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, overridesUpdateSchema)
  const updated = await limitsDb.updateOverrides('domains', id, changes)
  if (!updated) throw apiErrors.notFound('DOMAIN')
  return respond.message('Domain configuration updated')
})
