import { ApiError } from '#server/utils/errors'
import { RateLimiter } from '#server/utils/rate-limit'
import { requestPath } from '#server/utils/request-path'
import { securitySettings } from '#server/services/access/security-settings'

const RETRY_AFTER_SECONDS = '60'
const LOGIN_PATH = /^\/(?:api\/v1\/)?auth\/login\/?$/
const API_PATH = /^\/api\/v1(?:\/|$)/

const loginLimiter = new RateLimiter()
const apiLimiter = new RateLimiter()

/** Per-IP token buckets: sign-in (default 5/min) and the API (default 60/min), tunable in security settings. */
export default defineEventHandler(async (event) => {
  const path = requestPath(event)
  const isLogin = LOGIN_PATH.test(path)
  if (!isLogin && !API_PATH.test(path)) return
  const settings = await securitySettings.get()
  const ip = await securitySettings.clientIp(event)
  const allowed = isLogin ? loginLimiter.take(ip, settings.login_rate_limit) : apiLimiter.take(ip, settings.api_rate_limit)
  if (!allowed) {
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests', `This address is over the ${isLogin ? 'sign-in' : 'API'} rate limit; wait a minute and retry.`, { 'Retry-After': RETRY_AFTER_SECONDS })
  }
})
