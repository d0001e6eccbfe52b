import { defineApiHandler } from '#server/request/api-handler'
import { securitySettings } from '#server/services/access/security-settings'

/** GET /api/v1/security/settings — allowlists, per-IP limits (per minute) and trusted proxies. */
export default defineApiHandler(async () => {
  const { admin_login_whitelist, api_key_whitelist, login_rate_limit, api_rate_limit, trusted_proxies } = await securitySettings.get()
  return { admin_login_whitelist, api_key_whitelist, login_rate_limit, api_rate_limit, trusted_proxies }
})
