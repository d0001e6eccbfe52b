import { securitySettingsUpdateSchema } from '#shared/schemas/security'
import { defineApiHandler } from '#server/request/api-handler'
import { ApiError } from '#server/utils/errors'
import { IpList } from '#server/utils/ip'
import { respond } from '#server/request/respond'
import { securitySettings } from '#server/services/access/security-settings'
import { readValidBody } from '#server/request/validate'

/** PUT /api/v1/security/settings — any subset; an admin allowlist that excludes the caller needs `confirm_lockout`. */
export default defineApiHandler(async (event) => {
  const { confirm_lockout, ...changes } = await readValidBody(event, securitySettingsUpdateSchema)
  const ip = await securitySettings.clientIp(event)
  if (changes.admin_login_whitelist && !new IpList(changes.admin_login_whitelist).allows(ip) && !confirm_lockout) {
    throw new ApiError(409, 'LOCKOUT_PREVENTED', 'This would lock you out',
      `Your address ${ip} is not in the new admin_login_whitelist; add it, or resend with "confirm_lockout": true.`)
  }
  await securitySettings.update(changes)
  return respond.message('Security settings updated')
})
