import { ApiError } from '#server/utils/errors'
import { RateLimiter } from '#server/utils/rate-limit'
import { requestPath } from '#server/utils/request-path'
import { securitySettings } from '#server/services/access/security-settings'

const RETRY_AFTER_SECONDS = '60'
const LOGIN_PATH = /^\/(?:api\/v1\/)?auth\/login\/?$/
const API_PATH = /^\/api\/v1(?:\/|$)/
// Checks the admin password like a sign-in does, so each attempt costs a sign-in token too: else
// current_password could be guessed here at the (higher) API rate.
const PASSWORD_CHECK_PATH = /^\/api\/v1\/security\/admin-password\/?$/

const rateLimited = (which: string) =>
  new ApiError(429, 'RATE_LIMITED', 'Too many requests', `This address is over the ${which} rate limit; wait a minute and retry.`, { 'Retry-After': RETRY_AFTER_SECONDS })

const loginLimiter = new RateLimiter()
const apiLimiter = new RateLimiter()

/**
 * Per-IP token buckets: sign-in (default 5/min) and the API (default 60/min), tunable in security
 * settings. A password change (PUT /api/v1/security/admin-password) takes from both.
 */
export default defineEventHandler(async (event) => {
  const path = requestPath(event)
  const isLogin = LOGIN_PATH.test(path)
  if (!isLogin && !API_PATH.test(path)) return
  const settings = await securitySettings.get()
  const ip = await securitySettings.clientIp(event)
  const checksPassword = isLogin || (event.method === 'PUT' && PASSWORD_CHECK_PATH.test(path))
  if (checksPassword && !loginLimiter.take(ip, settings.login_rate_limit)) throw rateLimited('sign-in')
  if (!isLogin && !apiLimiter.take(ip, settings.api_rate_limit)) throw rateLimited('API')
})
