import type { H3Event } from 'h3'

// Only paths with escapes, dot segments or doubled slashes need the (slower) full normalization.
const NEEDS_NORMALIZING = /%|\/\.|\/\/|\\/

/**
 * The path as the router sees it: dot segments resolved, percent-decoded, repeated slashes folded.
 * Every path check (rate limits, audit, error envelope) must use this, or `/auth/logi%6e` would
 * slip past them. Runs on every API request, so plain paths skip the URL parser.
 */
export function requestPath(event: H3Event): string {
  const raw = (event.path || '/').split('?', 1)[0]!
  if (!NEEDS_NORMALIZING.test(raw)) return raw
  let path = new URL(raw, 'http://localhost').pathname
  try {
    path = decodeURIComponent(path)
  }
  catch { /* malformed escapes: the router will not match it either */ }
  return path.replace(/\/{2,}/g, '/')
}
