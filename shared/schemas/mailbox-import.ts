import * as v from 'valibot'
import { MAILBOX_HASH_RE } from './backup'
import { domainName, id } from './common'
import { mailboxCreateSchema, mailboxPassword } from './mailbox'

// POST /mailboxes/import and /mailboxes/bulk. Apart from mailbox.ts so that the dashboard's mailbox
// forms do not pull the backup schemas (where the hash rule lives) into their chunk.

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
