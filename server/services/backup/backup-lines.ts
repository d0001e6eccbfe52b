import { createHash } from 'node:crypto'
import * as v from 'valibot'
import { BACKUP_FORMAT, BACKUP_TABLE_NAMES, BACKUP_TABLES, type BackupFiles, type BackupTableName } from '#shared/schemas/backup'
import { ApiError } from '#server/utils/errors'
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '#server/utils/json-depth'
import { backupArchive, checkConfigFile, describeIssues, dkimKeyPairProblem, incompatible, invalid, refused } from './backup-archive'

/**
 * The streamed archive (format version 2): gzip of JSON lines, so a backup goes from a database
 * cursor to the response and a restore from the request to the database without ever holding the
 * whole directory (version 1, one JSON document, needed 2.6 GB for 1,000,000 mailboxes):
 *
 *   {"format":"backendside-mailpanel-backup","version":2,"created_at":…,"schema_versions":[…]}
 *   {"table":"server_settings"}       then one line per row, as PostgreSQL's row_to_json wrote it
 *   …                                 every archived table, in BACKUP_TABLE_NAMES order (parents first)
 *   {"file":"config.env","content":…} and firewall.json when there is one
 *   {"audit":"<one line of the audit log>"}   with ?include_audit=true
 *   {"end":true,"counts":{table: rows},"sha256":"<hex>"}
 *
 * The checksum is SHA-256 of every byte before the last line; counts guard against dropped rows.
 * Pure: no database, no files (unit-tested in tests/unit/backup-lines.test.ts).
 */
export const BACKUP_STREAM_VERSION = 2
/** No line of ours comes near this (a DKIM row is ~4 KB, config.env at most 64 KiB): a longer one is no archive. */
export const MAX_LINE_BYTES = 1024 * 1024
// Tables that hold exactly one row (the settings singletons).
const SINGLETONS = new Set<BackupTableName>(['server_settings', 'security_settings', 'mailstack_settings', 'antispam_settings'])
const FILE_NAMES = ['config.env', 'firewall.json'] as const

const headerSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  version: v.number(),
  created_at: v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 timestamp')),
  schema_versions: v.array(v.pipe(v.string(), v.maxLength(200))),
})
const endSchema = v.strictObject({
  end: v.literal(true),
  counts: v.record(v.string(), v.pipe(v.number(), v.integer(), v.minValue(0))),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
})

export type ArchiveEntry
  = | { kind: 'header', createdAt: string }
    | { kind: 'row', table: BackupTableName, row: Record<string, unknown>, json: string }
    | { kind: 'file' | 'audit' | 'table' }
    | { kind: 'end', counts: Partial<Record<BackupTableName, number>>, files: BackupFiles, auditLines: number }

/** Writes the lines of one archive and keeps the running checksum and counts. */
export class ArchiveWriter {
  private readonly hash = createHash('sha256')
  private readonly counts: Partial<Record<BackupTableName, number>> = {}
  private table: BackupTableName | undefined

  private line(text: string): string {
    const line = `${text}\n`
    this.hash.update(line)
    return line
  }

  header(createdAt: Date, schemaVersions: string[]): string {
    return this.line(JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_STREAM_VERSION, created_at: createdAt.toISOString(), schema_versions: schemaVersions }))
  }

  startTable(name: BackupTableName): string {
    this.table = name
    this.counts[name] = 0
    return this.line(JSON.stringify({ table: name }))
  }

  /** Rows of the current table, as JSON text already (PostgreSQL's row_to_json): one string, hashed once. */
  rows(json: string[]): string {
    this.counts[this.table!]! += json.length
    const text = json.length ? `${json.join('\n')}\n` : ''
    this.hash.update(text)
    return text
  }

  file(name: keyof BackupFiles, content: string): string {
    return this.line(JSON.stringify({ file: name, content }))
  }

  audit(line: string): string {
    return this.line(JSON.stringify({ audit: line }))
  }

  end(): string {
    return `${JSON.stringify({ end: true, counts: this.counts, sha256: this.hash.digest('hex') })}\n`
  }
}

/**
 * Reads the lines of one archive in order and validates each as it arrives: the header against
 * this panel's schema, every row with the API's own schemas (backupArchive's, shared with the
 * version 1 document), the files with the start-up rules. What needs the whole archive (the
 * checksum, the counts, the files' presence) is decided at the end line: the caller applies rows
 * inside a transaction it commits only after `end`.
 */
export class ArchiveReader {
  private readonly hash = createHash('sha256')
  private stage: 'header' | 'tables' | 'files' | 'done' = 'header'
  private tableIndex = -1
  private readonly counts: Partial<Record<BackupTableName, number>> = {}
  private readonly files: Partial<BackupFiles> = {}
  private auditLines = 0
  private readonly domainIds = new Set<number>()

  constructor(private readonly serverSchemaVersions: string[]) {}

  private get table(): BackupTableName | undefined {
    return BACKUP_TABLE_NAMES[this.tableIndex]
  }

  read(line: Buffer): ArchiveEntry {
    if (this.stage === 'done') throw invalid('the archive goes on after its end line')
    const text = line.toString('utf8')
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw invalid(`a line nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`)
    let value: unknown
    try {
      value = JSON.parse(text)
    }
    catch {
      throw invalid('a line of the archive is not valid JSON (damaged or truncated)')
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('a line of the archive is not a JSON object')
    const record = value as Record<string, unknown>
    if ('end' in record) return this.end(record)
    this.hash.update(line)
    this.hash.update('\n')
    if (this.stage === 'header') return this.header(record)
    if ('table' in record && Object.keys(record).length === 1) return this.nextTable(record.table)
    if ('file' in record) return this.file(record)
    if ('audit' in record) {
      if (typeof record.audit !== 'string' || Object.keys(record).length !== 1) throw invalid('an audit line must be {"audit": "<text>"}')
      this.closeTables()
      this.stage = 'files'
      this.auditLines++
      return { kind: 'audit' }
    }
    if (this.stage !== 'tables' || !this.table) throw invalid('a row comes before any table line')
    return this.row(this.table, record, text)
  }

  /** The stream has ended: anything but a complete archive is a truncated one. */
  finish(): void {
    if (this.stage !== 'done') throw invalid('the archive ends before its end line (truncated)')
  }

  private header(record: Record<string, unknown>): ArchiveEntry {
    if (record.format !== BACKUP_FORMAT) throw invalid(`the document is not a ${BACKUP_FORMAT} archive`)
    const parsed = v.safeParse(headerSchema, record)
    if (!parsed.success) throw invalid(`header: ${describeIssues(parsed.issues)}`)
    const { version, schema_versions: versions } = parsed.output
    if (version !== BACKUP_STREAM_VERSION) throw incompatible(`The archive is format version ${version}; this panel reads versions 1 and ${BACKUP_STREAM_VERSION}`)
    backupArchive.assertSchema(versions, this.serverSchemaVersions)
    this.stage = 'tables'
    return { kind: 'header', createdAt: parsed.output.created_at }
  }

  private nextTable(name: unknown): ArchiveEntry {
    if (this.stage !== 'tables') throw invalid('a table line after the files')
    this.closeTables(false)
    this.tableIndex++
    if (name !== this.table) throw invalid(`table lines must follow in the order ${BACKUP_TABLE_NAMES.join(', ')}; expected ${this.table ?? 'no more tables'}`)
    this.counts[this.table!] = 0
    return { kind: 'table' }
  }

  /** Before the files: every table was there, singletons with their one row. */
  private closeTables(all = true): void {
    const current = this.table
    if (current && SINGLETONS.has(current) && this.counts[current] !== 1) throw refused(`tables.${current}: must hold exactly one row`)
    if (all && this.stage === 'tables' && this.tableIndex !== BACKUP_TABLE_NAMES.length - 1) {
      throw invalid(`the archive lacks table ${BACKUP_TABLE_NAMES[this.tableIndex + 1]}`)
    }
  }

  private row(table: BackupTableName, row: Record<string, unknown>, json: string): ArchiveEntry {
    const index = this.counts[table]!
    this.counts[table] = index + 1
    const parsed = v.safeParse(BACKUP_TABLES[table], row)
    if (!parsed.success) throw refused(describeIssues(parsed.issues, `tables.${table}.${index}`))
    // Uniqueness is the database's to refuse (inside the same transaction); a dangling domain is found here, with its line.
    if (table === 'domains') this.domainIds.add(row.id as number)
    if ('domain_id' in row && !this.domainIds.has(row.domain_id as number)) {
      throw refused(`tables.${table}.${index}.domain_id: domain ${row.domain_id} is not among the archive's domains`)
    }
    if (table === 'dkim_keys') {
      const problem = dkimKeyPairProblem(parsed.output as never)
      if (problem) throw refused(`tables.dkim_keys.${index}.private_key: ${problem}`)
    }
    return { kind: 'row', table, row, json }
  }

  private file(record: Record<string, unknown>): ArchiveEntry {
    this.closeTables()
    this.stage = 'files'
    const name = record.file as typeof FILE_NAMES[number]
    if (!FILE_NAMES.includes(name) || typeof record.content !== 'string' || Object.keys(record).length !== 2) {
      throw refused(`files.${String(record.file).slice(0, 100)}: is not a file a backup holds`)
    }
    if (this.files[name] !== undefined) throw invalid(`files.${name}: appears twice`)
    this.files[name] = record.content
    return { kind: 'file' }
  }

  private end(record: Record<string, unknown>): ArchiveEntry {
    if (this.stage === 'header') throw invalid('the archive has no header line')
    this.closeTables()
    const parsed = v.safeParse(endSchema, record)
    if (!parsed.success) throw invalid(`end line: ${describeIssues(parsed.issues)}`)
    if (parsed.output.sha256 !== this.hash.digest('hex')) throw invalid('sha256: does not match the content, so the archive was altered or damaged')
    for (const name of BACKUP_TABLE_NAMES) {
      if (parsed.output.counts[name] !== this.counts[name]) throw invalid(`counts.${name}: says ${parsed.output.counts[name]} rows, the archive holds ${this.counts[name]}`)
    }
    if (this.files['config.env'] === undefined) throw refused('files.config.env: is missing')
    const files = this.files as BackupFiles
    checkConfigFile(files)
    this.stage = 'done'
    return { kind: 'end', counts: { ...this.counts }, files, auditLines: this.auditLines }
  }
}

/** A restore that fails on a line says which one (1-based), so the admin can look at it. */
export function atLine(err: unknown, line: number): unknown {
  if (!(err instanceof ApiError)) return err
  return new ApiError(err.status, err.code, err.error, err.detail.replace(/; nothing was changed\.$/, ` (line ${line}); nothing was changed.`), err.headers)
}
