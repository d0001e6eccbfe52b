import { defineEventHandler, setResponseHeader } from 'h3'
import { auth } from '#server/request/auth'
import { securitySettings } from '#server/services/access/security-settings'
import type { SessionState } from '#shared/types/access'

/**
 * GET /auth/session — whether this browser's session cookie is valid here: always 200, never a 401,
 * so the dashboard can ask before showing the sign-in page without a failed request in the console.
 * A cookie from an address outside admin_login_whitelist counts as signed out (the API would refuse it).
 */
export default defineEventHandler(async (event): Promise<SessionState> => {
  setResponseHeader(event, 'cache-control', 'no-store')
  const [settings, ip] = await Promise.all([securitySettings.get(), securitySettings.clientIp(event)])
  const actor = settings.adminList.allows(ip) ? await auth.cookieSession(event) : undefined
  return actor ? { signed_in: true, actor: { kind: actor.kind, name: actor.name } } : { signed_in: false }
})
