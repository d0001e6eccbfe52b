import { randomBytes } from 'node:crypto'
import { consola } from 'consola'
import { tokensDb } from '#server/db/queries/tokens'
import { sha256Hex } from '#server/utils/secrets'

// A recognisable prefix lets secret scanners (and people) spot a leaked panel token.
export const TOKEN_PREFIX = 'bsmp_'
const TOKEN_BYTES = 32
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 6
// last_used_at is written at most this often per token, so a busy script does not write on every call.
const TOUCH_INTERVAL_MS = 60_000
// Hits are cached briefly (misses never, so guessing cannot fill memory); a revoke clears the cache.
const CACHE_TTL_MS = 5_000
const MAX_CACHED = 10_000

const cache = new Map<string, { id: number, name: string, expires: number }>()
const lastTouched = new Map<number, number>()

export const apiTokens = {
  /** Mints a token: the plaintext is returned once; only its SHA-256 is stored. */
  async mint(name: string) {
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
    const row = await tokensDb.create(name, sha256Hex(token), token.slice(0, SHOWN_PREFIX_LENGTH))
    return { row, token }
  },

  async verify(token: string): Promise<{ id: number, name: string } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined
    const hash = sha256Hex(token)
    const now = Date.now()
    let found = cache.get(hash)
    if (!found || found.expires <= now) {
      const row = await tokensDb.findByHash(hash)
      if (!row) return undefined
      if (cache.size >= MAX_CACHED) cache.clear()
      found = { ...row, expires: now + CACHE_TTL_MS }
      cache.set(hash, found)
    }
    if ((lastTouched.get(found.id) ?? 0) + TOUCH_INTERVAL_MS <= now) {
      lastTouched.set(found.id, now)
      await tokensDb.touch(found.id).catch(err => consola.warn(`Could not record token use: ${(err as Error).message}`))
    }
    return { id: found.id, name: found.name }
  },

  async revoke(id: number) {
    const row = await tokensDb.remove(id)
    cache.clear()
    lastTouched.delete(id)
    return row
  },

  /** Forgets every cached token (after a restore replaced the table: a removed token must fail at once). */
  clearCache(): void {
    cache.clear()
    lastTouched.clear()
  },
}
