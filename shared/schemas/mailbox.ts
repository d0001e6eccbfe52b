import * as v from 'valibot'
import { displayName, DOMAIN_PART_RE, id, LOCAL_PART_RE, MAX_LOCAL_PART, NON_EMPTY_MESSAGE, nonEmpty, normalized } from './common'
import { limitFields } from './limits'

const MIN_PASSWORD = 8
// bcrypt ignores everything past 72 bytes; refuse rather than silently truncate.
const MAX_PASSWORD_BYTES = 72

export const mailboxPassword = v.pipe(
  v.string('must be a string'),
  v.minLength(MIN_PASSWORD, `must be at least ${MIN_PASSWORD} characters`),
  // Dovecot and IMAP/SMTP AUTH cannot carry control characters: such a password could never log in.
  v.check(s => ![...s].some(c => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7F), 'must not contain control characters'),
  v.check(s => new TextEncoder().encode(s).length <= MAX_PASSWORD_BYTES, `must be at most ${MAX_PASSWORD_BYTES} bytes`),
)

/** `user` or `user@domain`; the server strips `@domain` after checking it matches the mailbox's domain. */
export const mailboxUsername = v.pipe(
  normalized,
  v.check((s) => {
    const [local = '', domain, ...rest] = s.split('@')
    // Any host-name-like text after @ passes here: the server compares it with the mailbox's domain and says which it must be.
    return rest.length === 0 && local.length <= MAX_LOCAL_PART && LOCAL_PART_RE.test(local) && (domain === undefined || DOMAIN_PART_RE.test(domain))
  }, 'must be a local part such as "jane.doe" (a-z, 0-9, ".", "_", "-"), optionally followed by @ and the mailbox\'s domain'),
)

export const mailboxCreateSchema = v.strictObject({
  domain_id: id,
  username: mailboxUsername,
  password: mailboxPassword,
  name: v.optional(displayName),
  quota_mb: v.optional(v.nullable(limitFields.quota_mb)),
  active: v.optional(v.boolean()),
})

export const mailboxUpdateSchema = v.pipe(
  v.strictObject({
    name: v.optional(displayName),
    quota_mb: v.optional(v.nullable(limitFields.quota_mb)),
    active: v.optional(v.boolean()),
  }),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)

export const mailboxPasswordSchema = v.strictObject({ password: mailboxPassword })

export type MailboxCreate = v.InferOutput<typeof mailboxCreateSchema>
export type MailboxUpdate = v.InferOutput<typeof mailboxUpdateSchema>
