import { availableParallelism } from 'node:os'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { consola } from 'consola'
import type { ImportJob, ImportReport } from '#shared/types/mailbox-import'
import { mailboxImportDb, type ImportRow } from '#server/db/queries/mailbox-import'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { policyd } from '#server/policyd/daemon'
import { webhooks } from '#server/services/webhooks/webhooks'
import { payloadTooLarge } from '#server/utils/body'
import { ApiError, apiErrors, toApiError } from '#server/utils/errors'
import { CsvError, CsvReader } from '#server/utils/csv'
import { passwords } from '#server/utils/password'
import { readLines } from '#server/utils/streams'
import { importJobs } from './import-jobs'
import { ImportRows, type PendingRow } from './import-rows'
import { audit } from '#server/services/audit/audit'
import { securitySettings } from '#server/services/access/security-settings'

/**
 * POST /mailboxes/import, the bounds:
 * - the body: text/csv, at most MAX_IMPORT_BYTES, read as a stream line by line (a line at most
 *   MAX_LINE_BYTES) — never the whole file as one string; at most MAX_IMPORT_ROWS data rows are kept;
 * - the report lists the first 100 problems in line order (import-rows.ts: the list is compacted
 *   while it grows, so a file of only bad rows never holds more than a few hundred);
 * - up to SYNC_HASH_MAX plaintext passwords are hashed in the request; more make a background job
 *   (import-jobs.ts) hashing on every core with @node-rs/bcrypt's async API (libuv's threads), then
 *   inserting. Rows that carry a {BLF-CRYPT} hash cost no bcrypt at all.
 * Nothing is ever half-imported: every row is validated before anything is written, and the writes are
 * one transaction (mailboxImportDb.insertAll).
 */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024
const MAX_LINE_BYTES = 64 * 1024
export const MAX_IMPORT_ROWS = 100_000
const SYNC_HASH_MAX = 16
const REFUSAL_ERRORS = 3
const WEBHOOK_BATCH = 1_000

export interface CheckedImport {
  report: ImportReport
  rows: PendingRow[]
  domainIds: Map<string, number>
}

/** The byte stream, counted: past MAX_IMPORT_BYTES it stops with 413 (a chunked body has no length to refuse up front). */
async function* capped(source: AsyncIterable<Buffer>, event: H3Event): AsyncGenerator<Buffer> {
  let size = 0
  try {
    for await (const chunk of source) {
      size += chunk.length
      if (size > MAX_IMPORT_BYTES) throw payloadTooLarge(event, `CSV imports are limited to ${MAX_IMPORT_BYTES} bytes; split the file.`)
      yield chunk
    }
  }
  catch (err) {
    if (err instanceof ApiError) throw err
    // The client went away mid-body ("aborted"): its doing, not a server error to log.
    throw apiErrors.validation('body: the connection closed before the body ended')
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
    const checked = new ImportRows(MAX_IMPORT_ROWS)
    const csv = new CsvReader(MAX_LINE_BYTES)
    const lines = readLines(capped(event.node.req, event), MAX_LINE_BYTES, () => new CsvError(0, `a line is longer than ${MAX_LINE_BYTES} bytes`))
    let lineNo = 0
    try {
      for await (const bytes of lines) {
        lineNo++
        try {
          const record = csv.push(bytes.toString('utf8'), lineNo)
          if (record) checked.record(record.fields, record.line)
        }
        catch (err) {
          if (!(err instanceof CsvError)) throw err
          checked.unreadable(err.line, err.message)
        }
      }
      csv.end()
    }
    catch (err) {
      if (!(err instanceof CsvError)) throw err
      // An overlong line, or a quote still open at the end: the file cannot be read past it.
      checked.unreadable(err.line || lineNo + 1, err.message)
    }
    const domainIds = await mailboxImportDb.domainIds([...new Set(checked.rows.map(r => r.domain))])
    checked.refuse(r => (domainIds.has(r.domain) ? undefined : { column: checked.addressColumn('domain'), message: `no domain ${r.domain} exists on this panel; create it first` }))
    const taken = await mailboxImportDb.existing(checked.rows.map(r => ({ domainId: domainIds.get(r.domain)!, username: r.username })))
    checked.refuse((r) => {
      const address = `${r.username}@${r.domain}`
      return taken.has(address) ? { column: checked.addressColumn('username'), message: `a mailbox or an alias ${address} already exists` } : undefined
    })
    return { report: checked.report(), rows: checked.rows, domainIds }
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
    // Created before the first await: the caller's "none running" check still holds.
    const job = importJobs.create(checked.rows.length, checked.rows.filter(r => r.password === undefined).length)
    const actor = event.context.actor?.name ?? 'anonymous'
    const ip = await securitySettings.clientIp(event).catch(() => '')
    const onEnd = (status: number) =>
      audit.append({ time: new Date().toISOString(), actor, action: 'POST /api/v1/mailboxes/import/:jobId', target: job.id, ip, status })
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
