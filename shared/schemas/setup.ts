import * as v from 'valibot'
import { domainName } from './common'

/** The first-run wizard: who administers the panel and the mail server's own name. */
export const setupSchema = v.strictObject({
  username: v.pipe(v.string('must be a string'), v.trim(), v.regex(/^[a-z][a-z0-9._-]{0,63}$/i, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter')),
  password: v.pipe(
    v.string('must be a string'),
    v.minLength(12, 'must be at least 12 characters'),
    v.check(s => new TextEncoder().encode(s).length <= 72, 'must be at most 72 bytes'),
  ),
  mail_hostname: v.optional(domainName),
})

export type SetupInput = v.InferOutput<typeof setupSchema>
