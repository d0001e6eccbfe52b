import { mailstackSettingsProblem, mailstackSettingsUpdateSchema } from '#shared/schemas/mailstack'
import { mailstackDb } from '#server/db/queries/mailstack'
import { hostAddresses } from '#server/mailstack/host-addresses'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/config/mailstack — changes any subset of the listen settings; the reconciler applies them. */
export default defineApiHandler(async (event) => {
  const changes = await readValidBody(event, mailstackSettingsUpdateSchema)
  // The rules across fields see the settings as they will be, the stored ones merged with the change.
  const next = { ...await mailstackDb.getSettings(), ...changes }
  // Addresses are checked against this machine only where they change: a stale one (restored from
  // another host) must not block fixing something else.
  const problem = mailstackSettingsProblem(next) ?? hostAddresses.notLocal(next, Object.keys(changes))
  if (problem) throw apiErrors.validation(problem.message)
  await mailstackDb.updateSettings(changes)
  reconciler.request('settings')
  return respond.message('Mail stack settings updated; the reconciler applies them within a second (GET /api/v1/reconcile/status)')
})
