import { availableParallelism } from 'node:os'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { consola } from 'consola'
import * as v from 'valibot'
import { mailboxImportRowSchema } from '#shared/schemas/mailbox'
import type { ImportError, ImportJob, ImportReport } from '#shared/types/mailbox-import'
import { mailboxImportDb, type ImportRow } from '#server/db/queries/mailbox-import'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { policyd } from '#server/policyd/daemon'
import { webhooks } from '#server/services/webhooks/webhooks'
import { payloadTooLarge } from '#server/utils/body'
import { ApiError, toApiError } from '#server/utils/errors'
import { CsvError, CsvReader } from '#server/utils/csv'
import { passwords } from '#server/utils/password'
import { readLines } from '#server/utils/streams'
import { importJobs } from './import-jobs'
import { audit } from '#server/services/audit/audit'
import { securitySettings } from '#server/services/access/security-settings'

/**
 * POST /mailboxes/import, the bounds:
 * - the body: text/csv, at most MAX_IMPORT_BYTES, read as a stream line by line (a line at most
 *   MAX_LINE_BYTES) — never the whole file as one string; at most MAX_IMPORT_ROWS data rows are kept;
 * - the report lists the first MAX_ERRORS problems in line order (the list is compacted while it
 *   grows, so a file of only bad rows never holds more than a few hundred);
 * - up to SYNC_HASH_MAX plaintext passwords are hashed in the request; more make a background job
 *   (import-jobs.ts) hashing on every core with @node-rs/bcrypt's async API (libuv's threads), then
 *   inserting. Rows that carry a {BLF-CRYPT} hash cost no bcrypt at all.
 * Nothing is ever half-imported: every row is validated before anything is written, and the writes are
 * one transaction (mailboxImportDb.insertAll).
 */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024
const MAX_LINE_BYTES = 64 * 1024
export const MAX_IMPORT_ROWS = 100_000
const MAX_ERRORS = 100
const SYNC_HASH_MAX = 16
const REFUSAL_ERRORS = 3
const WEBHOOK_BATCH = 1_000

const COLUMNS = ['address', 'domain', 'username', 'password', 'password_hash', 'name', 'quota_mb', 'active'] as const
type Column = (typeof COLUMNS)[number]
const COLUMN_LIST = 'address (or domain and username), password or password_hash, and optionally name, quota_mb, active'

/** A row that passed validation; `password` is dropped once hashed. */
interface PendingRow {
  line: number
  domain: string
  username: string
  password?: string
  passwordHash?: string
  name: string
  quotaMb: number | null
  active: boolean
}

export interface CheckedImport {
  report: ImportReport
  rows: PendingRow[]
  domainIds: Map<string, number>
}

/** The first MAX_ERRORS problems in line order, without holding every problem of a bad file. */
class ErrorList {
  private list: ImportError[] = []
  truncated = false

  add(line: number, column: string, message: string): void {
    this.list.push({ line, column, message })
    if (this.list.length > MAX_ERRORS * 4) this.compact()
  }

  done(): ImportError[] {
    this.compact()
    return this.list
  }

  private compact(): void {
    this.list.sort((a, b) => a.line - b.line)
    if (this.list.length > MAX_ERRORS) {
      this.list.length = MAX_ERRORS
      this.truncated = true
    }
  }
}

/** The byte stream, counted: past MAX_IMPORT_BYTES it stops with 413 (a chunked body has no length to refuse up front). */
async function* capped(source: AsyncIterable<Buffer>, event: H3Event): AsyncGenerator<Buffer> {
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > MAX_IMPORT_BYTES) throw payloadTooLarge(event, `CSV imports are limited to ${MAX_IMPORT_BYTES} bytes; split the file.`)
    yield chunk
  }
}

/** Header names → their positions; problems with the header are line 1's errors. */
function readHeader(fields: string[], line: number, errors: ErrorList): Map<Column, number> | undefined {
  const columns = new Map<Column, number>()
  let ok = true
  fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase()
    if (!(COLUMNS as readonly string[]).includes(name)) {
      errors.add(line, name, `is not a column of a mailbox import (the columns: ${COLUMN_LIST})`)
      ok = false
    }
    else if (columns.has(name as Column)) {
      errors.add(line, name, 'appears twice in the header')
      ok = false
    }
    else columns.set(name as Column, i)
  })
  const byAddress = columns.has('address')
  if (byAddress && (columns.has('domain') || columns.has('username'))) {
    errors.add(line, 'address', 'give either an address column or domain and username columns, not both')
    ok = false
  }
  if (!byAddress && !(columns.has('domain') && columns.has('username'))) {
    errors.add(line, 'address', 'the header needs an address column (or domain and username columns)')
    ok = false
  }
  if (!columns.has('password') && !columns.has('password_hash')) {
    errors.add(line, 'password', 'the header needs a password or a password_hash column')
    ok = false
  }
  return ok ? columns : undefined
}

const TRUE_WORDS = new Set(['true', 'yes', '1'])
const FALSE_WORDS = new Set(['false', 'no', '0'])

/** CSV text → the schema's input: empty cells are absent, numbers and booleans as the JSON API takes them. */
function rowInput(fields: string[], columns: Map<Column, number>): Record<string, unknown> {
  const cell = (c: Column) => (columns.has(c) ? fields[columns.get(c)!]! : undefined)
  const input: Record<string, unknown> = {}
  const address = cell('address')
  if (address !== undefined) {
    const at = address.lastIndexOf('@')
    input.username = at === -1 ? address : address.slice(0, at)
    input.domain = at === -1 ? '' : address.slice(at + 1)
  }
  else {
    input.username = cell('username')
    input.domain = cell('domain')
  }
  // Passwords are taken byte for byte: a space is part of a password.
  const password = cell('password')
  if (password) input.password = password
  const hash = cell('password_hash')?.trim()
  if (hash) input.password_hash = hash
  const name = cell('name')
  if (name !== undefined) input.name = name
  const quota = cell('quota_mb')?.trim()
  if (quota) input.quota_mb = /^\d{1,12}$/.test(quota) ? Number(quota) : quota
  const active = cell('active')?.trim().toLowerCase()
  if (active) input.active = TRUE_WORDS.has(active) ? true : FALSE_WORDS.has(active) ? false : active
  return input
}

/** valibot's generic wording ("Invalid type: …") never reaches a person; the schemas' own messages do. */
function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (!/^Invalid \w+: /.test(issue.message)) return issue.message
  return issue.type === 'boolean' ? 'must be true or false (or yes/no, 1/0)' : 'is not valid'
}

/** One data row → a pending row, or its problems (one per column). */
function checkRow(fields: string[], line: number, columns: Map<Column, number>, errors: ErrorList): PendingRow | undefined {
  if (fields.length !== columns.size) {
    errors.add(line, '', `has ${fields.length} fields; the header has ${columns.size}`)
    return undefined
  }
  const nul = [...columns].find(([, i]) => fields[i]!.includes('\0'))
  if (nul) {
    errors.add(line, nul[0], 'must not contain NUL characters')
    return undefined
  }
  const byAddress = columns.has('address')
  const columnOf = (key: string) => ((key === 'username' || key === 'domain') && byAddress ? 'address' : key)
  const result = v.safeParse(mailboxImportRowSchema, rowInput(fields, columns))
  if (!result.success) {
    const seen = new Set<string>()
    for (const issue of result.issues) {
      const column = columnOf(v.getDotPath(issue) ?? '')
      if (seen.has(column)) continue
      seen.add(column)
      errors.add(line, column, column === 'address' && issue.path?.[0]?.key === 'domain' ? `the part after @ ${issueMessage(issue)}` : issueMessage(issue))
    }
    return undefined
  }
  const row = result.output
  let username = row.username
  const at = username.indexOf('@')
  if (at !== -1) {
    // `jane@example.com` in a username column: the part after @ must be the row's domain, as for POST /mailboxes.
    if (username.slice(at + 1) !== row.domain) {
      errors.add(line, 'username', `the address must be in ${row.domain} (the row's domain)`)
      return undefined
    }
    username = username.slice(0, at)
  }
  return {
    line,
    domain: row.domain,
    username,
    password: row.password,
    passwordHash: row.password_hash,
    name: row.name ?? '',
    quotaMb: row.quota_mb ?? null,
    active: row.active ?? true,
  }
}

const withNothingImported = (detail: string) => (/nothing was imported/i.test(detail) ? detail : `${detail} Nothing was imported.`)

/** Hashes `rows`' plaintext passwords, `parallel` at a time; `onHashed` after each. */
async function hashAll(rows: PendingRow[], parallel: number, onHashed: () => void): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!
      if (row.password === undefined) continue
      row.passwordHash = await passwords.hashMailbox(row.password)
      row.password = undefined
      onHashed()
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
}

/** After COMMIT: the same `mailbox.created` events POST /mailboxes sends, loaded in batches (only if anyone listens). */
async function announce(ids: number[]): Promise<void> {
  if (!await mailboxImportDb.subscribed('mailbox.created')) return
  for (let i = 0; i < ids.length; i += WEBHOOK_BATCH) {
    for (const mailbox of await mailboxesDb.getMany(ids.slice(i, i + WEBHOOK_BATCH))) await webhooks.emit('mailbox.created', mailbox)
  }
}

/** Hash (if needed) and insert everything; a conflict that appeared after validation fails the whole import. */
async function write(checked: CheckedImport, onHashed: () => void, onInserting: () => void): Promise<number> {
  await hashAll(checked.rows, Math.max(1, availableParallelism()), onHashed)
  onInserting()
  const rows: ImportRow[] = checked.rows.map(r => ({
    domainId: checked.domainIds.get(r.domain)!,
    username: r.username,
    passwordHash: r.passwordHash!,
    name: r.name,
    quotaMb: r.quotaMb,
    active: r.active,
  }))
  const outcome = await mailboxImportDb.insertAll(rows)
  if ('aliasConflicts' in outcome) {
    const [first] = outcome.aliasConflicts
    throw new ApiError(409, 'ALIAS_EXISTS', 'Alias already exists', `An alias was created meanwhile for ${first}${outcome.aliasConflicts.length > 1 ? ` and ${outcome.aliasConflicts.length - 1} more addresses` : ''}; nothing was imported. Run the dry run again.`)
  }
  // The policy daemon caches limits per login; the API's beforeResponse hook does this for requests, a job ends later.
  policyd.limitsMayHaveChanged()
  // Committed: from here on nothing may report the import as failed. The events are queued in the
  // background: 100,000 of them are 100,000 outbox inserts, which must not hold the response.
  void announce(outcome.ids).catch(err => consola.error(`Mailbox import: the mailbox.created webhooks were not all queued: ${(err as Error).message}`))
  return outcome.ids.length
}

export const mailboxImport = {
  /**
   * Reads and validates the uploaded CSV: 415 unless text/csv, 413 over MAX_IMPORT_BYTES (declared or
   * counted). Every row goes through mailboxImportRowSchema; then the domains must exist and no address
   * may repeat in the file or be used by a mailbox or an alias. Writes nothing.
   */
  async check(event: H3Event): Promise<CheckedImport> {
    const type = getRequestHeader(event, 'content-type') ?? ''
    if (!/^text\/csv\s*(?:;|$)/i.test(type)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the file as the body with Content-Type: text/csv.')
    }
    const declared = Number(getRequestHeader(event, 'content-length') ?? 0)
    if (!(declared <= MAX_IMPORT_BYTES)) throw payloadTooLarge(event, `CSV imports are limited to ${MAX_IMPORT_BYTES} bytes; split the file.`)
    const errors = new ErrorList()
    const csv = new CsvReader(MAX_LINE_BYTES)
    const lines = readLines(capped(event.node.req, event), MAX_LINE_BYTES, () => new CsvError(0, `a line is longer than ${MAX_LINE_BYTES} bytes`))
    const rows: PendingRow[] = []
    const firstLine = new Map<string, number>()
    let columns: Map<Column, number> | undefined
    let headerSeen = false
    let count = 0
    let invalid = 0
    let lineNo = 0
    const take = (fields: string[], line: number) => {
      if (!headerSeen) {
        headerSeen = true
        columns = readHeader(fields, line, errors)
        return
      }
      count++
      if (!columns) { // a bad header: the rows are only counted, none can be read
        invalid++
        return
      }
      if (count > MAX_IMPORT_ROWS) {
        if (count === MAX_IMPORT_ROWS + 1) errors.add(line, '', `the file has more than ${MAX_IMPORT_ROWS} rows; split it into several imports`)
        invalid++
        return
      }
      const row = checkRow(fields, line, columns, errors)
      if (!row) {
        invalid++
        return
      }
      const address = `${row.username}@${row.domain}`
      const earlier = firstLine.get(address)
      if (earlier !== undefined) {
        errors.add(line, columns.has('address') ? 'address' : 'username', `${address} is already on line ${earlier}`)
        invalid++
        return
      }
      firstLine.set(address, line)
      rows.push(row)
    }
    try {
      for await (const bytes of lines) {
        lineNo++
        try {
          const record = csv.push(bytes.toString('utf8'), lineNo)
          if (record) take(record.fields, record.line)
        }
        catch (err) {
          if (!(err instanceof CsvError)) throw err
          errors.add(err.line, '', err.message)
          if (headerSeen) count++
          invalid++
          headerSeen = true
        }
      }
      csv.end()
    }
    catch (err) {
      if (!(err instanceof CsvError)) throw err
      // An overlong line or an unclosed quote at the end: the file cannot be read past it.
      errors.add(err.line || lineNo + 1, '', err.message)
      invalid++
    }
    if (!headerSeen) errors.add(1, '', `the file is empty; the first line must be a header naming the columns: ${COLUMN_LIST}`)
    const domainIds = await mailboxImportDb.domainIds([...new Set(rows.map(r => r.domain))])
    const known = rows.filter((r) => {
      if (domainIds.has(r.domain)) return true
      errors.add(r.line, columns!.has('address') ? 'address' : 'domain', `no domain ${r.domain} exists on this panel; create it first`)
      return false
    })
    const taken = await mailboxImportDb.existing(known.map(r => ({ domainId: domainIds.get(r.domain)!, username: r.username })))
    const fresh = known.filter((r) => {
      if (!taken.has(`${r.username}@${r.domain}`)) return true
      errors.add(r.line, columns!.has('address') ? 'address' : 'username', `a mailbox or an alias ${r.username}@${r.domain} already exists`)
      return false
    })
    invalid += rows.length - fresh.length
    const list = errors.done()
    return {
      report: { rows: count, valid: fresh.length, invalid, errors: list, errors_truncated: errors.truncated },
      rows: fresh,
      domainIds,
    }
  },

  /** A real import's 400: how many rows are bad and the first few problems (the dry run lists them all). */
  refusal(report: ImportReport): string {
    const first = report.errors.slice(0, REFUSAL_ERRORS).map(e => `line ${e.line}${e.column ? ` ${e.column}` : ''}: ${e.message}`).join('; ')
    const more = report.errors.length > REFUSAL_ERRORS ? '; …' : ''
    return `${report.invalid} of ${report.rows} rows have problems, so nothing was imported (?dry_run=true lists them): ${first}${more}`
  },

  /** Whether the import is small enough to hash within the request. */
  fitsInRequest(checked: CheckedImport): boolean {
    return checked.rows.filter(r => r.password !== undefined).length <= SYNC_HASH_MAX
  },

  /** Imports a clean check within the request → how many mailboxes were created. */
  async importNow(checked: CheckedImport): Promise<number> {
    return write(checked, () => {}, () => {})
  },

  /** The job still running, if any (one at a time). */
  running(): ImportJob | undefined {
    return importJobs.running()
  },

  job(id: string): ImportJob | undefined {
    return importJobs.get(id)
  },

  /**
   * Starts the background job for a clean check. The request that started it was audited with 202;
   * its end is audited too (201, or the failure's status), as `POST /api/v1/mailboxes/import/:jobId`.
   */
  async startJob(event: H3Event, checked: CheckedImport): Promise<ImportJob> {
    const actor = event.context.actor?.name ?? 'anonymous'
    const ip = await securitySettings.clientIp(event)
    const onEnd = (status: number) =>
      audit.append({ time: new Date().toISOString(), actor, action: 'POST /api/v1/mailboxes/import/:jobId', target: job.id, ip, status })
    const hashed = checked.rows.filter(r => r.password === undefined).length
    const job = importJobs.create(checked.rows.length, hashed)
    void (async () => {
      let status = 201
      try {
        const imported = await write(checked, () => job.progress.done++, () => (job.state = 'inserting'))
        job.progress.done = job.progress.total
        importJobs.finish(job, { imported })
      }
      catch (err) {
        const apiError = toApiError(err)
        status = apiError.status
        if (status >= 500) consola.error(`Mailbox import ${job.id} failed: ${(err as Error).message}`)
        importJobs.finish(job, { failure: status >= 500 ? 'The import failed on the server (see the panel log); nothing was imported.' : withNothingImported(apiError.detail) })
      }
      await onEnd(status).catch(err => consola.error(`Mailbox import ${job.id}: the audit log could not be written: ${(err as Error).message}`))
    })()
    return job
  },
}
