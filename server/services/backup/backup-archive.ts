import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import * as v from 'valibot'
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  backupDocumentSchema,
  type BackupDocument,
  type BackupFiles,
  type BackupTables,
} from '#shared/schemas/backup'
import { envFile } from '#lib/env-file.mjs'
import { configProblems } from '#lib/config-rules.mjs'
import { ApiError, apiErrors } from '#server/utils/errors'
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '#server/utils/json-depth'

/**
 * The pure half of backup/restore: the archive format, its checksum and the full validation of an
 * uploaded archive. No database, no files: what is decided here is unit-tested on its own.
 */

// Bounds on both sides of the gzip: the upload itself and what it inflates to (a gzip bomb stops here).
// V8 strings end at ~512 MiB, so the inflated document stays well under that.
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
const MAX_ISSUES_REPORTED = 3
const MAX_NAME_SHOWN = 100
const GZIP_MAGIC = [0x1F, 0x8B]

/**
 * config.env keys that describe this machine rather than the panel's state: a restore keeps the
 * running server's values. DATABASE_URL/HOST/PORT/POLICYD_LISTEN because a backup moved to a new host
 * must not point it at the old host's database or addresses; JWT_SECRET because an older backup
 * would bring back a secret that may have been rotated after a leak (sessions are only 12 h anyway).
 */
export const MACHINE_KEYS = ['DATABASE_URL', 'JWT_SECRET', 'HOST', 'PORT', 'POLICYD_LISTEN'] as const

export type ArchiveKind = 'gzip' | 'json'
type UnsignedDocument = Omit<BackupDocument, 'sha256'>

// Two kinds of 400: the upload is no intact archive of ours (BACKUP_INVALID), or it is one but holds a
// value the API would refuse (VALIDATION_FAILED, naming the table or file and the field).
export const invalid = (detail: string) =>
  new ApiError(400, 'BACKUP_INVALID', 'Invalid backup archive', `${detail}; nothing was changed.`)
export const refused = (detail: string) => apiErrors.validation(`The archive holds values the panel would refuse: ${detail}; nothing was changed.`)
export const incompatible = (detail: string) =>
  new ApiError(409, 'BACKUP_INCOMPATIBLE', 'Backup from another schema version', `${detail}; nothing was changed. Restore it on a panel of the same version.`)
const tooLarge = (limit: number) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `Backup archives are limited to ${limit} bytes (inflated).`)

/** Rebuilds each plain object with its keys in sorted order; JSON.stringify then writes them that way. */
function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const record = value as Record<string, unknown>
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(record).sort()) sorted[key] = record[key]
  return sorted
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same text however the document
 * was re-serialized (pretty-printed, keys reordered). The native stringify with a replacer is about
 * twice as fast as building the string by hand, which counts at 100,000 mailboxes.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null'
}

/** SHA-256 of the canonical JSON of everything but the `sha256` member. */
export function checksum(document: Record<string, unknown>): string {
  const { sha256: _ignored, ...rest } = document
  return createHash('sha256').update(canonicalJson(rest)).digest('hex')
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

export function describeIssues(issues: v.BaseIssue<unknown>[], prefix?: string): string {
  // Paths and messages only: the rows hold hashes and secrets, which must not be echoed back.
  return issues.slice(0, MAX_ISSUES_REPORTED).map((issue) => {
    const path = [prefix, v.getDotPath(issue)].filter(Boolean).join('.') || null
    // valibot words an unknown key as "Invalid key: Expected never"; say what it means here.
    const message = issue.type === 'strict_object' ? (path?.startsWith('files.') ? 'is not a file a backup holds' : path?.startsWith('tables.') && path.split('.').length > 3 ? 'is not a column of this table' : 'is not part of the archive format') : issue.message
    return path ? `${path}: ${message}` : message
  }).join('; ')
}

function assertUnique<T>(table: string, rows: T[], column: string, key: (row: T) => string): void {
  const seen = new Map<string, number>()
  rows.forEach((row, index) => {
    const k = key(row)
    const first = seen.get(k)
    if (first !== undefined) throw refused(`tables.${table}.${index}.${column}: repeats row ${first}`)
    seen.set(k, index)
  })
}

/** What the unique keys and foreign keys of the schema would refuse, found before the database is touched. */
function checkIntegrity(tables: BackupTables): void {
  for (const name of ['domains', 'mailboxes', 'aliases', 'api_tokens', 'webhooks', 'spam_whitelist', 'dkim_keys'] as const) {
    assertUnique(name, tables[name] as { id: number }[], 'id', row => String(row.id))
  }
  assertUnique('domains', tables.domains, 'name', row => row.name)
  assertUnique('mailboxes', tables.mailboxes, 'username', row => `${row.domain_id}/${row.username}`)
  assertUnique('aliases', tables.aliases, 'local_part', row => `${row.domain_id}/${row.local_part}`)
  assertUnique('api_tokens', tables.api_tokens, 'token_hash', row => row.token_hash)
  assertUnique('spam_whitelist', tables.spam_whitelist, 'value', row => `${row.kind}/${row.value}`)
  assertUnique('dkim_keys', tables.dkim_keys, 'selector', row => `${row.domain_id}/${row.selector}`)
  assertUnique('dkim_keys', tables.dkim_keys.filter(k => k.status === 'active'), 'status', row => `${row.domain_id}/${row.algorithm}`)
  const domainIds = new Set(tables.domains.map(d => d.id))
  for (const name of ['mailboxes', 'aliases', 'dkim_keys'] as const) {
    tables[name].forEach((row, index) => {
      if (!domainIds.has(row.domain_id)) throw refused(`tables.${name}.${index}.domain_id: domain ${row.domain_id} is not among the archive's domains`)
    })
  }
  tables.dkim_keys.forEach((row, index) => {
    const problem = dkimKeyPairProblem(row)
    if (problem) throw refused(`tables.dkim_keys.${index}.private_key: ${problem}`)
  })
}

/**
 * A DKIM row's private key must parse, be of its algorithm and size, and be the key of its public
 * half: a tampered archive must not make the server sign with a key DNS does not publish.
 */
export function dkimKeyPairProblem(row: BackupTables['dkim_keys'][number]): string | undefined {
  let key: KeyObject
  try {
    key = createPrivateKey(row.private_key)
  }
  catch {
    return 'is not a private key node:crypto can read'
  }
  if (key.asymmetricKeyType !== row.algorithm) return `is a ${key.asymmetricKeyType} key, not ${row.algorithm}`
  if (row.algorithm === 'rsa' && key.asymmetricKeyDetails?.modulusLength !== row.bits) return `has ${key.asymmetricKeyDetails?.modulusLength} bits, not ${row.bits}`
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  // RSA records carry the whole SubjectPublicKeyInfo; Ed25519 ones the raw 32 bytes at its end (RFC 8463).
  const published = row.algorithm === 'rsa' ? spki : spki.subarray(spki.length - 32)
  return published.toString('base64') === row.public_key ? undefined : 'does not belong to the public key the row publishes'
}

/**
 * The archived config.env must be one the panel can write back and start with: every value passes
 * the start-up rules (lib/config-rules.mjs), machine keys included — a restore keeps this machine's
 * values for those (MACHINE_KEYS), but an archive that holds PORT=99999 is not one the panel wrote.
 * JWT_SECRET is not required of the archive: this machine's is kept.
 */
export function checkConfigFile(files: BackupFiles): void {
  const problems = configProblems(envFile.parse(files['config.env']), { required: [] })
  if (problems.length) {
    throw refused(problems.slice(0, MAX_ISSUES_REPORTED).map(p => `files.config.env: ${p.key} ${p.message}`).join('; '))
  }
  const firewall = files['firewall.json']
  if (firewall !== undefined) {
    try {
      JSON.parse(firewall)
    }
    catch {
      throw refused('files.firewall.json: is not valid JSON')
    }
  }
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i])

export const backupArchive = {
  build(input: { createdAt: Date, schemaVersions: string[], tables: BackupTables, files: BackupFiles }): BackupDocument {
    const unsigned: UnsignedDocument = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      created_at: input.createdAt.toISOString(),
      schema_versions: input.schemaVersions,
      tables: input.tables,
      files: input.files,
    }
    return { ...unsigned, sha256: checksum(unsigned) }
  },

  async encode(document: BackupDocument): Promise<Buffer> {
    return promisify(gzip)(JSON.stringify(document))
  },

  /** Gunzips (bounded) and parses; says what is wrong with bytes that are not an archive. */
  async decode(bytes: Buffer, kind: ArchiveKind): Promise<unknown> {
    if (bytes.length === 0) throw invalid('the request body is empty')
    let text: string
    if (kind === 'gzip') {
      if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) throw invalid('the body is not a gzip archive')
      let inflated: Buffer
      try {
        inflated = await promisify(gunzip)(bytes, { maxOutputLength: MAX_DOCUMENT_BYTES })
      }
      catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(MAX_DOCUMENT_BYTES)
        throw invalid('the gzip stream is damaged or truncated')
      }
      text = inflated.toString('utf8')
    }
    else {
      if (bytes.length > MAX_DOCUMENT_BYTES) throw tooLarge(MAX_DOCUMENT_BYTES)
      text = bytes.toString('utf8')
    }
    return backupArchive.parse(text)
  },

  /** A version 1 document's text into a value, after the same depth bound as every request body. */
  parse(text: string): unknown {
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw invalid(`the document nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`)
    try {
      return JSON.parse(text) as unknown
    }
    catch {
      throw invalid('the archive does not hold a valid JSON document')
    }
  },

  /**
   * Everything a restore depends on, in the order that gives the clearest answer: is it ours, is it
   * intact (checksum), is it for this schema, is every row well-formed, do the rows fit together,
   * can the files be written back. Throws the first problem found.
   */
  validate(input: unknown, serverSchemaVersions: string[]): BackupDocument {
    if (!isRecord(input) || input.format !== BACKUP_FORMAT) throw invalid(`the document is not a ${BACKUP_FORMAT} archive`)
    if (typeof input.version !== 'number') throw invalid('version: must be a number')
    if (input.version !== BACKUP_VERSION) throw incompatible(`The archive is format version ${input.version}; this panel reads version ${BACKUP_VERSION}`)
    if (typeof input.sha256 !== 'string') throw invalid('sha256: is missing')
    let actual: string
    try {
      actual = checksum(input)
    }
    catch {
      throw invalid('the document is nested too deeply to be an archive') // JSON.stringify's stack limit
    }
    if (actual !== input.sha256) throw invalid('sha256: does not match the content, so the archive was altered or damaged')
    const versions = input.schema_versions
    if (!Array.isArray(versions) || !versions.every(x => typeof x === 'string')) throw invalid('schema_versions: must be a list of migration names')
    backupArchive.assertSchema(versions, serverSchemaVersions)
    const parsed = v.safeParse(backupDocumentSchema, input)
    if (!parsed.success) throw refused(describeIssues(parsed.issues))
    checkIntegrity(parsed.output.tables)
    checkConfigFile(parsed.output.files)
    return parsed.output
  },

  /** 409 unless the archive was made at exactly this database's migrations. */
  assertSchema(versions: string[], serverSchemaVersions: string[]): void {
    if (sameList(versions, serverSchemaVersions)) return
    const latest = (list: string[]) => list.at(-1)?.slice(0, MAX_NAME_SHOWN) ?? '(none)'
    throw incompatible(`The archive was made at schema ${latest(versions)}, this database is at ${latest(serverSchemaVersions)}`)
  },

  /** The archived config.env with this machine's own keys (MACHINE_KEYS) kept from the current file. */
  mergeConfig(archived: string, current: string): string {
    const fromArchive = envFile.parse(archived)
    const fromMachine = envFile.parse(current)
    const merged: Record<string, string> = {}
    for (const key of MACHINE_KEYS) {
      if (fromMachine[key] !== undefined) merged[key] = fromMachine[key]
    }
    for (const [key, value] of Object.entries(fromArchive)) {
      if (!(MACHINE_KEYS as readonly string[]).includes(key)) merged[key] = value
    }
    return envFile.stringify(merged)
  },

  /** `mailpanel-backup-20260528T101500Z.jsonl.gz` */
  fileName(createdAt: Date): string {
    return `mailpanel-backup-${createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.jsonl.gz`
  },
}
