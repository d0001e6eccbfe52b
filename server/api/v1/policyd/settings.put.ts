import { policydSettingsUpdateSchema } from '#shared/schemas/policyd'
import { reconciler } from '#server/mailstack/runner'
import { policyd } from '#server/policyd/daemon'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/policyd/settings — sets `policyd_fail_mode` (`defer` or `dunno`); in force at once in this process. */
export default defineApiHandler(async (event) => {
  const { policyd_fail_mode } = await readValidBody(event, policydSettingsUpdateSchema)
  await policyd.setFailMode(policyd_fail_mode)
  // Postfix's smtpd_policy_service_default_action follows the fail mode (for when the daemon itself is down).
  reconciler.request('policyd-settings')
  return respond.message('Policy daemon settings updated')
})
