import { serverLimitsUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '../../../db/queries/limits'
import { defineApiHandler } from '../../../utils/api-handler'
import { respond } from '../../../utils/respond'
import { readValidBody } from '../../../utils/validate'

/** PUT /api/v1/config/server — changes any subset of the server defaults (null is not allowed here). */
export default defineApiHandler(async (event) => {
  const changes = await readValidBody(event, serverLimitsUpdateSchema)
  await limitsDb.updateServer(changes)
  return respond.message('Server configuration updated')
})
