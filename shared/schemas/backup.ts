import * as v from 'valibot'
import { aliasDestinations } from './alias'
import { antispamSettingsFields, type AntispamSettingsRow, WHITELIST_KINDS, whitelistEntryProblem } from './antispam'
import { displayName, domainName, emailAddress, id, localPart } from './common'
import { LIMIT_KEYS, limitFields, type LimitKey } from './limits'
import { mailstackSettingsFields, mailstackSettingsProblem, type MailstackSettingsRow } from './mailstack'
import { failMode } from './policyd'
import { ipList, perMinute } from './security'
import { webhookEvents, webhookSecret, webhookUrl } from './webhook'

/**
 * The backup archive (gzip of one JSON document). Rows are validated with the schemas the API
 * validates its input with (so a restore brings back only what the API would have accepted), and
 * never transformed: the checksum covers the document as written, and a restored row must be
 * byte-for-byte the row that was backed up. A value the API would have stored differently (not
 * trimmed, not lower-case, a repeated destination) is refused rather than silently changed.
 */
export const BACKUP_FORMAT = 'backendside-mailpanel-backup'
export const BACKUP_VERSION = 1

// Delivery errors are free text from the receiver; generous, but bounded.
const MAX_FREE_TEXT = 65_536
const MAX_CONFIG_FILE_BYTES = 64 * 1024
const MAX_FIREWALL_FILE_BYTES = 1024 * 1024

/** What PostgreSQL's to_json writes for timestamptz (`2026-05-28T10:00:00.123456+00:00`), or JavaScript's toISOString. */
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/
/** Dovecot's bcrypt form, as the mailboxes.password CHECK and the SQL passdb expect it. */
export const MAILBOX_HASH_RE = /^\{BLF-CRYPT\}\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$/
export const BCRYPT_RE = /^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$/
const SHA256_HEX_RE = /^[0-9a-f]{64}$/

const timestamp = v.pipe(v.string('must be a timestamp string'), v.regex(TIMESTAMP_RE, 'must be an ISO 8601 timestamp'), v.check(s => !Number.isNaN(Date.parse(s)), 'must be a real date'))
const text = (max: number) => v.pipe(v.string('must be a string'), v.maxLength(max, `must be at most ${max} characters`))

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * A stored value checked with the API's own input schema: refused with the API's message, and
 * refused too when the API would have stored it in another form (its schemas trim, lower-case and
 * de-duplicate), since a restore writes the value as it is.
 */
function storedCheck<TInput = unknown>(schema: v.GenericSchema) {
  return v.rawCheck<TInput>(({ dataset, addIssue }) => {
    const parsed = v.safeParse(schema, dataset.value)
    if (!parsed.success) addIssue({ message: parsed.issues[0].message })
    else if (!sameValue(parsed.output, dataset.value)) addIssue({ message: 'is not in the form the API stores (trimmed, lower-case, without repeats)' })
  })
}

const asStored = <T extends v.GenericSchema>(schema: T) =>
  v.pipe(v.unknown(), storedCheck(schema), v.transform(value => value as v.InferOutput<T>))

// Names go into Maildir paths and Postfix maps: the API's own rules, so a restore cannot smuggle in what a create would refuse.
const aliasLocalPart = v.union([v.literal(''), asStored(localPart)], 'must be a valid lower-case local part, or "" for a catch-all')

const overrideEntries = Object.fromEntries(LIMIT_KEYS.map(k => [k, v.nullable(limitFields[k])])) as {
  [K in LimitKey]: v.NullableSchema<(typeof limitFields)[K], undefined>
}

export const serverSettingsRow = v.strictObject({ id: v.literal(true), ...limitFields, policyd_fail_mode: failMode, updated_at: timestamp })

const storedMailstackFields = Object.fromEntries(Object.entries(mailstackSettingsFields).map(([k, schema]) => [k, asStored(schema)])) as {
  [K in keyof MailstackSettingsRow]: ReturnType<typeof asStored<(typeof mailstackSettingsFields)[K]>>
}

// The same cross-field rules as PUT /config/mailstack (two services on one port, address families).
export const mailstackSettingsRow = v.pipe(
  v.strictObject({ id: v.literal(true), ...storedMailstackFields, updated_at: timestamp }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const problem = mailstackSettingsProblem(dataset.value as MailstackSettingsRow)
    if (problem) addIssue({ message: problem.message, path: [{ type: 'object', origin: 'value', input: dataset.value, key: problem.key, value: (dataset.value as Record<string, unknown>)[problem.key] }] })
  }),
)

const storedAntispamFields = Object.fromEntries(Object.entries(antispamSettingsFields).map(([k, schema]) => [k, asStored(schema)])) as {
  [K in keyof AntispamSettingsRow]: ReturnType<typeof asStored<(typeof antispamSettingsFields)[K]>>
}

export const antispamSettingsRow = v.strictObject({ id: v.literal(true), ...storedAntispamFields, updated_at: timestamp })

// The renderer's own check (whitelistEntryProblem): a restored entry is one POST /antispam/whitelist would have stored.
export const spamWhitelistRow = v.pipe(
  v.strictObject({
    id,
    kind: v.picklist(WHITELIST_KINDS, `must be one of ${WHITELIST_KINDS.join(', ')}`),
    value: text(320),
    comment: v.pipe(text(200), v.check(s => s === s.trim(), 'must not start or end with blanks')),
    created_at: timestamp,
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const problem = whitelistEntryProblem(dataset.value.kind, dataset.value.value)
    if (problem) addIssue({ message: problem, path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'value', value: dataset.value.value }] })
  }),
)

const PEM_PRIVATE_KEY_RE = /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{40,8000}-----END PRIVATE KEY-----\n?$/
const BASE64_RE = /^[A-Za-z0-9+/]{40,1400}={0,2}$/

// Selector and key shapes as the database CHECKs have them; that the key pair belongs together is
// checked on the server (server/services/backup/backup-archive.ts), where node:crypto can parse it.
export const dkimKeyRow = v.strictObject({
  id,
  domain_id: id,
  selector: v.pipe(v.string('must be a string'), v.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 of a-z, 0-9 and -, not starting or ending with -')),
  algorithm: v.picklist(['rsa', 'ed25519'], 'must be rsa or ed25519'),
  bits: v.picklist([256, 1024, 2048, 3072, 4096], 'must be 1024, 2048, 3072 or 4096 (256 for ed25519)'),
  status: v.picklist(['active', 'published', 'retired'], 'must be active, published or retired'),
  private_key: v.pipe(v.string('must be a string'), v.regex(PEM_PRIVATE_KEY_RE, 'must be a PKCS#8 PEM private key')),
  public_key: v.pipe(v.string('must be a string'), v.regex(BASE64_RE, 'must be the base64 public key of the DNS record')),
  created_at: timestamp,
  activated_at: v.nullable(timestamp),
  retired_at: v.nullable(timestamp),
})

export const domainRow = v.strictObject({
  id,
  name: asStored(domainName),
  description: v.pipe(text(500), v.check(s => s === s.trim(), 'must not start or end with blanks')),
  active: v.boolean(),
  ...overrideEntries,
  created_at: timestamp,
  updated_at: timestamp,
})

export const mailboxRow = v.strictObject({
  id,
  domain_id: id,
  username: asStored(localPart),
  password: v.pipe(v.string('must be a string'), v.regex(MAILBOX_HASH_RE, 'must be a {BLF-CRYPT} bcrypt hash')),
  name: asStored(displayName),
  active: v.boolean(),
  ...overrideEntries,
  created_at: timestamp,
  updated_at: timestamp,
})

export const aliasRow = v.strictObject({
  id,
  domain_id: id,
  local_part: aliasLocalPart,
  destinations: v.pipe(v.array(asStored(emailAddress)), storedCheck<string[]>(aliasDestinations)),
  active: v.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
})

export const securitySettingsRow = v.strictObject({
  id: v.literal(true),
  admin_login_whitelist: asStored(ipList),
  api_key_whitelist: asStored(ipList),
  login_rate_limit: perMinute(100_000),
  api_rate_limit: perMinute(1_000_000),
  trusted_proxies: asStored(ipList),
  webhook_allowed_ranges: asStored(ipList),
  updated_at: timestamp,
})

export const apiTokenRow = v.strictObject({
  id,
  name: v.pipe(text(100), v.minLength(1, 'is required')),
  token_hash: v.pipe(v.string('must be a string'), v.regex(SHA256_HEX_RE, 'must be a SHA-256 hex digest')),
  prefix: text(32),
  created_at: timestamp,
  last_used_at: v.nullable(timestamp),
})

export const webhookRow = v.strictObject({
  id,
  url: asStored(webhookUrl),
  secret: v.nullable(asStored(webhookSecret)),
  events: asStored(webhookEvents),
  created_at: timestamp,
  last_delivery_at: v.nullable(timestamp),
  last_status: v.nullable(text(32)),
  last_error: v.nullable(text(MAX_FREE_TEXT)),
})

/**
 * In insert order (parents before children; dkim_keys after domains). webhook_deliveries is a transient outbox and never
 * archived. Neither is certificates: its rows describe PEM files on this machine's disk (keys
 * included), which a restore on another machine would not have; a restore leaves that table alone.
 */
export const BACKUP_TABLES = {
  server_settings: serverSettingsRow,
  security_settings: securitySettingsRow,
  mailstack_settings: mailstackSettingsRow,
  domains: domainRow,
  mailboxes: mailboxRow,
  aliases: aliasRow,
  api_tokens: apiTokenRow,
  webhooks: webhookRow,
  antispam_settings: antispamSettingsRow,
  spam_whitelist: spamWhitelistRow,
  dkim_keys: dkimKeyRow,
}

export type BackupTableName = keyof typeof BACKUP_TABLES
export const BACKUP_TABLE_NAMES = Object.keys(BACKUP_TABLES) as BackupTableName[]

/**
 * Columns deliberately left out: derived from other rows and kept by triggers, so the restore
 * rebuilds them (inserting the archived value as well would count every mailbox twice).
 */
export const DERIVED_COLUMNS: Partial<Record<BackupTableName, string[]>> = {
  domains: ['mailbox_count', 'alias_count'],
  // `local@domain`, kept for the search indexes (migration 0018)
  mailboxes: ['address'],
  aliases: ['address'],
}

/** The archived columns of each table: exactly the keys of its row schema. */
export const backupColumns = (table: BackupTableName): string[] => Object.keys(BACKUP_TABLES[table].entries)

const configFile = v.pipe(v.string('must be a string'), v.check(s => new TextEncoder().encode(s).length <= MAX_CONFIG_FILE_BYTES, `must be at most ${MAX_CONFIG_FILE_BYTES} bytes`))

export const backupDocumentSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(BACKUP_VERSION),
  created_at: timestamp,
  schema_versions: v.array(v.pipe(v.string(), v.maxLength(200))),
  tables: v.strictObject({
    server_settings: v.pipe(v.array(serverSettingsRow), v.length(1, 'must hold exactly one row')),
    security_settings: v.pipe(v.array(securitySettingsRow), v.length(1, 'must hold exactly one row')),
    // Archives made before the mail stack settings existed lack it: the restore then keeps the current row.
    mailstack_settings: v.optional(v.pipe(v.array(mailstackSettingsRow), v.length(1, 'must hold exactly one row'))),
    domains: v.array(domainRow),
    mailboxes: v.array(mailboxRow),
    aliases: v.array(aliasRow),
    api_tokens: v.array(apiTokenRow),
    webhooks: v.array(webhookRow),
    // DKIM private keys are part of the backup: a restored server signs with the keys DNS publishes.
    antispam_settings: v.pipe(v.array(antispamSettingsRow), v.length(1, 'must hold exactly one row')),
    spam_whitelist: v.array(spamWhitelistRow),
    dkim_keys: v.array(dkimKeyRow),
  }),
  files: v.strictObject({
    'config.env': configFile,
    // Kept for the record; never written back (the live audit log is append-only).
    'audit.log': v.optional(v.string('must be a string')),
    'firewall.json': v.optional(v.pipe(v.string('must be a string'), v.maxLength(MAX_FIREWALL_FILE_BYTES))),
  }),
  sha256: v.pipe(v.string('must be a string'), v.regex(SHA256_HEX_RE, 'must be a SHA-256 hex digest')),
})

export type BackupDocument = v.InferOutput<typeof backupDocumentSchema>
export type BackupTables = BackupDocument['tables']
export type BackupFiles = BackupDocument['files']
