import { setResponseHeaders } from 'h3'
import { contentSecurityPolicy } from '../utils/csp'

const CONTENT_SECURITY_POLICY = contentSecurityPolicy()

/** SPEC §2 security headers on every response, pages and API alike. */
export default defineEventHandler((event) => {
  setResponseHeaders(event, {
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  })
})
