import { createHash } from 'node:crypto'

/**
 * The strict CSP: everything comes from 'self'. Inline styles are allowed (Vue transitions set style
 * attributes); inline scripts only by the hash of their exact text (Nuxt's config bootstrap).
 */
export function contentSecurityPolicy(scriptHashes: string[] = []): string {
  return [
    'default-src \'self\'',
    `script-src 'self'${scriptHashes.map(h => ` 'sha256-${h}'`).join('')}`,
    'style-src \'self\' \'unsafe-inline\'',
    'img-src \'self\' data:',
    'font-src \'self\'',
    'connect-src \'self\'',
    'object-src \'none\'',
    'base-uri \'self\'',
    'form-action \'self\'',
    'frame-ancestors \'none\'',
  ].join('; ')
}

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g

/** SHA-256 (base64) of each executable inline <script> in a rendered page. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map(m => createHash('sha256').update(m[1]!).digest('base64'))
}

/** SPEC §2 headers for every response — pages, API, static assets — applied as a route rule. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': contentSecurityPolicy(),
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
}
