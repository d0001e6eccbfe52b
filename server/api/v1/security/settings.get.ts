import { defineApiHandler } from '#server/request/api-handler'
import { securitySettings } from '#server/services/access/security-settings'

/** GET /api/v1/security/settings — allowlists, per-IP limits (per minute), trusted proxies and the private ranges webhooks may reach. */
export default defineApiHandler(async () => {
  const { admin_login_whitelist, api_key_whitelist, login_rate_limit, api_rate_limit, trusted_proxies, webhook_allowed_ranges } = await securitySettings.get()
  return { admin_login_whitelist, api_key_whitelist, login_rate_limit, api_rate_limit, trusted_proxies, webhook_allowed_ranges }
})
