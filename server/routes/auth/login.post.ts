import { setCookie } from 'h3'
import { loginSchema } from '#shared/schemas/auth'
import { defineApiHandler } from '#server/request/api-handler'
import { auth, ipNotAllowed, SESSION_COOKIE, SESSION_TTL_SECONDS } from '#server/request/auth'
import { useConfig } from '#server/utils/config'
import { ApiError, apiErrors } from '#server/utils/errors'
import { passwords } from '#server/utils/password'
import { safeEqual } from '#server/utils/secrets'
import { securitySettings } from '#server/services/access/security-settings'
import { readValidBody } from '#server/request/validate'

/** POST /auth/login — checks the admin credentials from config.env; returns a JWT and sets the session cookie. */
export default defineApiHandler(async (event) => {
  const settings = await securitySettings.get()
  if (!settings.adminList.allows(await securitySettings.clientIp(event))) throw ipNotAllowed('admin_login_whitelist')
  const { username, password } = await readValidBody(event, loginSchema)
  event.context.auditActor = username
  const config = useConfig()
  if (!config.adminPasswordHash) {
    throw new ApiError(409, 'SETUP_REQUIRED', 'Setup required', 'No admin password is configured yet; finish setup first.')
  }
  // Always pay for the bcrypt check, so a wrong username takes as long as a wrong password.
  const passwordOk = await passwords.verify(password, config.adminPasswordHash)
  if (!safeEqual(username, config.adminUser) || !passwordOk) throw apiErrors.unauthorized('The username or password is wrong.')

  const session = await auth.issueSession(config.adminUser)
  setCookie(event, SESSION_COOKIE, session.token, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: SESSION_TTL_SECONDS })
  return { message: 'Signed in', token: session.token, expires_at: session.expiresAt.toISOString() }
}, { public: true })
