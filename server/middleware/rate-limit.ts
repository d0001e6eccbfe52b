import { auth } from '#server/request/auth'
import { securitySettings } from '#server/services/access/security-settings'
import { ApiError } from '#server/utils/errors'
import { RateLimiter } from '#server/utils/rate-limit'
import { requestPath } from '#server/utils/request-path'

const RETRY_AFTER_SECONDS = '60'
const LOGIN_PATH = /^\/(?:api\/v1\/)?auth\/login\/?$/
const API_PATH = /^\/api\/v1(?:\/|$)/
// GET /metrics checks credentials like the API does, so guessing them there costs API tokens too.
const METRICS_PATH = /^\/metrics\/?$/
// Checks the admin password like a sign-in does, so each attempt costs a sign-in token too: else
// current_password could be guessed here at the (higher) API rate.
const PASSWORD_CHECK_PATH = /^\/api\/v1\/security\/admin-password\/?$/

const rateLimited = (which: string) =>
  new ApiError(429, 'RATE_LIMITED', 'Too many requests', `This address is over the ${which} rate limit; wait a minute and retry.`, { 'Retry-After': RETRY_AFTER_SECONDS })

/**
 * A signed-in dashboard session gets its own, larger bucket: SESSION_RATE_FACTOR × api_rate_limit
 * per minute and IP (300/min at the default 60). The dashboard itself stays far below it — reads
 * are cached and shared (composables/useApiData.ts): ~200 fast tab clicks cost about 22 requests (tests/browser/dashboard-budget.test.ts) —
 * but an admin working fast, or several admins behind one NAT address, must not be locked out by
 * the budget meant for scripts and strangers. Only a session cookie that verifies counts (a forged
 * one falls back to the per-IP API bucket), so the larger budget is no gift to an attacker.
 */
export const SESSION_RATE_FACTOR = 5

const loginLimiter = new RateLimiter()
const apiLimiter = new RateLimiter()
const sessionLimiter = new RateLimiter()

/**
 * Per-IP token buckets: sign-in (default 5/min), the API (default 60/min) and signed-in sessions
 * (5× the API's), tunable in security settings. A password change (PUT
 * /api/v1/security/admin-password) takes a sign-in token as well as an API one.
 */
export default defineEventHandler(async (event) => {
  const path = requestPath(event)
  const isLogin = LOGIN_PATH.test(path)
  if (!isLogin && !API_PATH.test(path) && !METRICS_PATH.test(path)) return
  const settings = await securitySettings.get()
  const ip = await securitySettings.clientIp(event)
  const checksPassword = isLogin || (event.method === 'PUT' && PASSWORD_CHECK_PATH.test(path))
  if (checksPassword && !loginLimiter.take(ip, settings.login_rate_limit)) throw rateLimited('sign-in')
  if (isLogin) return
  const session = await auth.cookieSession(event)
  const allowed = session
    ? sessionLimiter.take(ip, settings.api_rate_limit * SESSION_RATE_FACTOR)
    : apiLimiter.take(ip, settings.api_rate_limit)
  if (!allowed) throw rateLimited('API')
})
