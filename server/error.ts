import { consola } from 'consola'
import { getRequestHeader, send, setResponseHeader, setResponseStatus } from 'h3'
import { ApiError, scrubSecrets, toApiError } from '#server/utils/errors'
import { requestPath } from '#server/utils/request-path'

// /metrics too: a scraper or a browser refused there gets the envelope, never a page.
const API_PATH = /^\/(?:api|auth|metrics)(?:\/|$)/

/**
 * Writes the flat `{error, detail, code}` envelope for API paths and for any request that does not
 * ask for HTML; a browser asking for a page falls through to Nuxt's error page.
 */
export default defineNitroErrorHandler((error, event) => {
  const wantsPage = (getRequestHeader(event, 'accept') ?? '').includes('text/html')
  if (!API_PATH.test(requestPath(event)) && wantsPage) return
  // h3 wraps what a handler throws; a non-Error cause (e.g. the page renderer's 404 data) is not ours.
  const cause = error.cause instanceof Error ? error.cause : error
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
