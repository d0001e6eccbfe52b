import { antispamSettingsUpdateSchema } from '#shared/schemas/antispam'
import { antispamDb } from '#server/db/queries/antispam'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/config/antispam — changes any subset of the anti-spam settings; the reconciler applies them. */
export default defineApiHandler(async (event) => {
  const changes = await readValidBody(event, antispamSettingsUpdateSchema)
  await antispamDb.updateSettings(changes)
  reconciler.request('antispam')
  return respond.message('Anti-spam settings updated; the reconciler applies them within a second (GET /api/v1/reconcile/status)')
})
