import { deleteCookie } from 'h3'
import { defineApiHandler } from '#server/request/api-handler'
import { SESSION_COOKIE } from '#server/request/auth'

/** POST /auth/logout — clears the session cookie. */
export default defineApiHandler((event) => {
  deleteCookie(event, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' })
  return { message: 'Signed out' }
}, { public: true })
