import { serverLimitsUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/config/server — changes any subset of the server defaults (null is not allowed here). */
export default defineApiHandler(async (event) => {
  const changes = await readValidBody(event, serverLimitsUpdateSchema)
  await limitsDb.updateServer(changes)
  return respond.message('Server configuration updated')
})
