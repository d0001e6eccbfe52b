import { mailstackSettingsUpdateSchema, portClash } from '#shared/schemas/mailstack'
import { mailstackDb } from '#server/db/queries/mailstack'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/config/mailstack — changes any subset of the listen settings; the reconciler applies them. */
export default defineApiHandler(async (event) => {
  const changes = await readValidBody(event, mailstackSettingsUpdateSchema)
  const clash = portClash({ ...await mailstackDb.getSettings(), ...changes })
  if (clash) throw apiErrors.validation(clash)
  await mailstackDb.updateSettings(changes)
  reconciler.request('settings')
  return respond.message('Mail stack settings updated; the reconciler applies them within a second (GET /api/v1/reconcile/status)')
})
