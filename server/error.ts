import { consola } from 'consola'
import { getRequestURL, send, setResponseHeader, setResponseStatus } from 'h3'
import { ApiError, scrubSecrets, toApiError } from './utils/errors'

const API_PATH = /^\/(?:api|auth)(?:\/|$)/

/** Writes the flat `{error, detail, code}` envelope for API paths; pages fall through to Nuxt's handler. */
export default defineNitroErrorHandler((error, event) => {
  if (!API_PATH.test(getRequestURL(event).pathname)) return
  const cause = error.cause ?? error
  const apiError = cause instanceof ApiError ? cause : toApiError(cause)
  if (apiError.status >= 500) {
    const stack = cause instanceof Error ? cause.stack ?? cause.message : String(cause)
    consola.error(`${event.method} ${event.path} failed: ${scrubSecrets(stack)}`)
  }
  setResponseStatus(event, apiError.status)
  setResponseHeader(event, 'content-type', 'application/json')
  for (const [name, value] of Object.entries(apiError.headers)) setResponseHeader(event, name, value)
  return send(event, JSON.stringify({ error: apiError.error, detail: apiError.detail, code: apiError.code }))
})
