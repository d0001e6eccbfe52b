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
