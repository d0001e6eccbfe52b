import type { H3Event } from 'h3'
import { getRequestURL } from 'h3'

/**
 * The path as the router sees it: percent-decoded, repeated slashes folded. Every path check
 * (rate limits, audit, error envelope) must use this, or `/auth/logi%6e` would slip past them.
 */
export function requestPath(event: H3Event): string {
  const raw = getRequestURL(event).pathname
  let decoded = raw
  try {
    decoded = decodeURIComponent(raw)
  }
  catch { /* malformed escapes: the router will not match it either */ }
  return decoded.replace(/\/{2,}/g, '/')
}
