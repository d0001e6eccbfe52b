/**
 * The deepest nesting of arrays and objects a JSON document sent to the panel may have (request
 * bodies and backup archives alike). None needs more than a few levels; the bound is checked on the
 * raw text before parsing, so the recursive walks after it (valibot, the NUL check, the archive's
 * checksum) can never overflow the stack.
 */
export const MAX_JSON_DEPTH = 32

/**
 * The deepest nesting of arrays and objects in a JSON text, by one iterative pass over its
 * characters (brackets inside strings do not count). Run before JSON.parse, so that no recursive
 * walk (validation, NUL checks) ever sees a document deeper than the caller allows; stops as soon
 * as `limit` is passed. Malformed text is JSON.parse's business: this only counts.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5C /* \ */) i++
      else if (c === 0x22 /* " */) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5B /* [ */ || c === 0x7B /* { */) {
      if (++depth > limit) return true
    }
    else if (c === 0x5D /* ] */ || c === 0x7D /* } */) depth--
  }
  return false
}
