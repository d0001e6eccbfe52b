import * as v from 'valibot'
import { displayName, DOMAIN_PART_RE, domainName, id, LOCAL_PART_RE, MAX_LOCAL_PART, NON_EMPTY_MESSAGE, nonEmpty, normalized } from './common'
import { MAILBOX_HASH_RE } from './backup'
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

/** A mailbox password as Dovecot stores it: `{BLF-CRYPT}` then a bcrypt hash (the backup's rule). */
export const mailboxPasswordHash = v.pipe(
  v.string('must be a string'),
  v.regex(MAILBOX_HASH_RE, 'must be a bcrypt hash as Dovecot stores it: {BLF-CRYPT}$2y$10$ followed by 53 characters'),
)

const { domain_id: _domainId, password: _password, ...createEntries } = mailboxCreateSchema.entries

/**
 * One CSV row of POST /mailboxes/import, after its columns are mapped: a create's fields with the
 * domain by name, and the password either in plaintext or already hashed (exactly one of them).
 */
export const mailboxImportRowSchema = v.pipe(
  v.strictObject({
    ...createEntries,
    domain: domainName,
    password: v.optional(mailboxPassword),
    password_hash: v.optional(mailboxPasswordHash),
  }),
  v.forward(
    v.check(row => (row.password === undefined) !== (row.password_hash === undefined), 'give either a password or a password_hash (exactly one)'),
    ['password'],
  ),
)

/** `?dry_run=true|false` of POST /mailboxes/import (default false). */
export const mailboxImportQuery = v.strictObject({
  dry_run: v.optional(v.pipe(v.picklist(['true', 'false'], 'must be true or false'), v.transform(s => s === 'true')), 'false'),
})

export const MAILBOX_BULK_ACTIONS = ['activate', 'deactivate', 'delete'] as const
const MAX_BULK_IDS = 10_000

/** POST /mailboxes/bulk: an action on every mailbox the filter matches (the filter of GET /mailboxes, plus ids). */
export const mailboxBulkSchema = v.strictObject({
  action: v.picklist(MAILBOX_BULK_ACTIONS, `must be one of ${MAILBOX_BULK_ACTIONS.join(', ')}`),
  filter: v.pipe(
    v.strictObject({
      domain_id: v.optional(id),
      search: v.optional(v.pipe(v.string('must be a string'), v.trim(), v.maxLength(320, 'must be at most 320 characters'))),
      ids: v.optional(v.pipe(v.array(id, 'must be a list of mailbox ids'), v.minLength(1, 'must name at least one mailbox'), v.maxLength(MAX_BULK_IDS, `must have at most ${MAX_BULK_IDS} items`))),
    }, 'must be an object'),
    // "Every mailbox on the server" is never one click: an empty filter is refused.
    v.check(f => f.domain_id !== undefined || Boolean(f.search) || f.ids !== undefined, 'name a domain_id, a search or ids (an empty filter would match every mailbox)'),
  ),
  dry_run: v.optional(v.boolean('must be true or false'), false),
})

export type MailboxImportRow = v.InferOutput<typeof mailboxImportRowSchema>
export type MailboxBulk = v.InferOutput<typeof mailboxBulkSchema>
