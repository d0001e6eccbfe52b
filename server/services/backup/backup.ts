import { createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { consola } from 'consola'
import type { BackupDocument, BackupTableName } from '#shared/schemas/backup'
import { backupDb, type RestoreCounts } from '#server/db/queries/backup'
import { apiTokens } from '#server/services/access/api-tokens'
import { configFromValues, ConfigError, effectiveValues, reloadConfig, useConfig } from '#server/utils/config'
import { envFile } from '#lib/env-file.mjs'
import type { StagedFile } from '#lib/write-atomic.mjs'
import { ApiError, apiErrors } from '#server/utils/errors'
import { payloadTooLarge } from '#server/utils/body'
import { peek, readLines, writeOrWait } from '#server/utils/streams'
import { securitySettings } from '#server/services/access/security-settings'
import { backupArchive, invalid, MAX_DOCUMENT_BYTES, type ArchiveKind } from './backup-archive'
import { ArchiveReader, ArchiveWriter, atLine, MAX_LINE_BYTES } from './backup-lines'

const GZIP_TYPE = /^application\/(?:gzip|x-gzip|octet-stream)\s*(?:;|$)/i
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)|^application\/(?:x-)?ndjson\s*(?:;|$)/i
// How an archive of JSON lines (version 2 and later) begins, as ArchiveWriter writes it; a version 1
// document (one JSON value, possibly re-serialized) begins otherwise, or with version 1.
const LINES_PREFIX = /^\{"format":"backendside-mailpanel-backup","version":(\d{1,9}),/
const PREFIX_BYTES = 64
// Rows per INSERT of a streamed restore.
const INSERT_BATCH = 2000
// A streamed archive has no size cap of its own (memory stays flat); this only stops an endless upload.
const MAX_STREAM_BYTES = 64 * 1024 ** 3

export interface RestoreResult {
  createdAt: string
  restored: RestoreCounts
  files: string[]
}

/** One file a restore replaces: its final path and the content it gets. */
interface FileWrite {
  name: string
  path: string
  content: string
}

const readOptional = (path: string): string | undefined => existsSync(path) ? readFileSync(path, 'utf8') : undefined

/** The files a restore writes: config.env (the archive's, with this machine's own keys) and firewall.json when archived. */
function plannedWrites(document: BackupDocument): FileWrite[] {
  const { paths } = useConfig()
  const writes: FileWrite[] = [{
    name: 'config.env',
    path: paths.configFile,
    content: backupArchive.mergeConfig(document.files['config.env'], readOptional(paths.configFile) ?? ''),
  }]
  const firewall = document.files['firewall.json']
  if (firewall !== undefined) writes.push({ name: 'firewall.json', path: paths.firewallState, content: firewall })
  return writes
}

/**
 * The config.env a restore would write, loaded the way the next start-up loads it (the environment
 * on top, every rule of lib/config-rules.mjs): a restore must never leave a panel that cannot start.
 */
function assertStarts(write: FileWrite): void {
  try {
    configFromValues(effectiveValues(envFile.parse(write.content)), useConfig().paths)
  }
  catch (err) {
    if (!(err instanceof ConfigError)) throw err
    throw apiErrors.validation(`The archive holds values the panel would refuse: files.config.env (as merged with this machine's keys): ${err.message.replace(/; refusing to start/g, '')}; nothing was changed.`)
  }
}

interface PgErrorLike {
  code?: string
  table_name?: string
  constraint_name?: string
}

/** The database refusing a row the validation let through is still the archive's fault, not a 500. */
function fromDatabase(err: unknown): unknown {
  const pg = err as PgErrorLike
  if (typeof pg.code === 'string' && /^2[23]/.test(pg.code)) {
    const where = [pg.table_name, pg.constraint_name].filter(Boolean).join(', ') || `SQLSTATE ${pg.code}`
    return new ApiError(400, 'BACKUP_INVALID', 'Invalid backup archive', `The database refused the archive's rows (${where}); nothing was changed.`)
  }
  // A lock held too long, or a deadlock with a request that locked the same tables in the other order.
  if (pg.code === '55P03' || pg.code === '40P01') return apiErrors.unavailable('The database was busy with other requests; nothing was changed. Retry the restore.')
  return err
}

export const backup = {
  /**
   * The whole panel state as a streamed gzip archive (format 2, backup-lines.ts): one consistent
   * database snapshot read through cursors, then the config files. Resolves once the snapshot has
   * begun, so a database that is down is an error response rather than a cut-off download; a
   * client that goes away ends the snapshot's transaction.
   */
  async stream(options: { includeAudit: boolean }): Promise<{ stream: Readable, fileName: string }> {
    const { paths } = useConfig()
    const createdAt = new Date()
    // Level 1: at 1,000,000 mailboxes the compression is most of a backup's CPU, and level 6 saves little on JSON lines.
    const gzip = createGzip({ level: 1 })
    const writer = new ArchiveWriter()
    const write = (text: string) => writeOrWait(gzip, text)
    let begun!: () => void
    const ready = new Promise<void>((resolve) => {
      begun = resolve
    })
    const done = backupDb.snapshotStream({
      versions: async (versions) => {
        begun()
        await write(writer.header(createdAt, versions))
      },
      table: name => write(writer.startTable(name)),
      rows: json => write(writer.rows(json)),
    }).then(async () => {
      await write(writer.file('config.env', readOptional(paths.configFile) ?? ''))
      const firewall = readOptional(paths.firewallState)
      if (firewall !== undefined) await write(writer.file('firewall.json', firewall))
      if (options.includeAudit && existsSync(paths.auditLog)) {
        for await (const line of createInterface({ input: createReadStream(paths.auditLog), crlfDelay: Infinity })) await write(writer.audit(line))
      }
      gzip.end(writer.end())
    })
    const failed = done.catch((err: Error) => {
      if (!gzip.destroyed) consola.error(`Backup stopped: ${err.message}`)
      gzip.destroy(err)
      throw err
    })
    await Promise.race([ready, failed])
    return { stream: gzip, fileName: backupArchive.fileName(createdAt) }
  },

  /** 415 unless the upload is gzip (or octet-stream) or uncompressed JSON / JSON lines. */
  uploadKind(event: H3Event): ArchiveKind {
    const type = getRequestHeader(event, 'content-type') ?? ''
    const kind: ArchiveKind | undefined = GZIP_TYPE.test(type) ? 'gzip' : JSON_TYPE.test(type) ? 'json' : undefined
    if (!kind) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type',
        'Send the archive from GET /api/v1/admin/backup as the raw body with Content-Type: application/gzip (or application/json for an uncompressed document).')
    }
    return kind
  },

  /**
   * A restore straight from the request: a streamed archive (format 2) is inflated, split into
   * lines, validated line by line and inserted batch by batch inside one transaction, which commits
   * only after the end line's checksum and counts agree and config.env would start; memory stays
   * flat at any size. A version 1 document (one JSON value) is read whole, within its old caps.
   */
  async restoreUpload(event: H3Event): Promise<RestoreResult & { auditLines: number }> {
    const kind = backup.uploadKind(event)
    const declared = Number(getRequestHeader(event, 'content-length') ?? 0)
    if (!(declared <= MAX_STREAM_BYTES)) throw payloadTooLarge(event, `Backup archives are limited to ${MAX_STREAM_BYTES} bytes.`)
    return backup.restoreFrom(event.node.req, kind)
  },

  /** restoreUpload() for any byte stream of an archive (the CLI's `restore FILE` reads a file). */
  async restoreFrom(input: Readable, kind: ArchiveKind): Promise<RestoreResult & { auditLines: number }> {
    let raw = 0
    input.on('data', (chunk: Buffer) => {
      raw += chunk.length
      if (raw > MAX_STREAM_BYTES) input.destroy(new Error('the upload exceeds the archive cap'))
    })
    const source = kind === 'gzip' ? input.pipe(createGunzip()) : input
    input.on('error', err => source.destroy(err))
    try {
      const { head, all } = await peek(source, PREFIX_BYTES)
      if (raw === 0 && head.length === 0) throw invalid('the request body is empty')
      const version = LINES_PREFIX.exec(head.toString('latin1'))?.[1]
      if (version !== undefined && version !== '1') return await restoreStreamed(all)
      const document = await backup.validateText(await collect(all, MAX_DOCUMENT_BYTES))
      return { ...await backup.restore(document), auditLines: document.files['audit.log'] === undefined ? 0 : 1 }
    }
    catch (err) {
      throw inflateError(err, kind, raw)
    }
    finally {
      source.destroy()
    }
  },

  /** Parses and validates a whole (inflated) version 1 document — rows, files, the config.env it would leave — against this panel; touches nothing. */
  async validateText(text: string): Promise<BackupDocument> {
    return backup.validateDocument(backupArchive.parse(text))
  },

  async validateDocument(input: unknown): Promise<BackupDocument> {
    const document = backupArchive.validate(input, await backupDb.appliedMigrations())
    assertStarts(plannedWrites(document)[0]!)
    return document
  },

  /**
   * Replaces the database content and config.env (and firewall.json when archived) with the
   * archive's, as one unit. The order, and what each failure leaves:
   * 1. validate() has checked everything, the merged config.env included, before this is called.
   * 2. Stage each file: the new content in a temp file beside the live one, flushed. A failure here
   *    (disk full, permissions) removes the temp files; nothing has changed.
   * 3. One transaction replaces every table. If it fails, COMMIT included, PostgreSQL has rolled it
   *    back and the temp files are removed; nothing has changed.
   * 4. After COMMIT, rename each temp file over its live file (one rename(2) within a folder: atomic,
   *    and the step least likely to fail). Only this step can leave the two halves apart: the tables
   *    are restored and a file is not; the temp file is then kept and named in the error.
   * Renaming before COMMIT instead would need a compensating write (put the old file back) exactly
   * when something is already failing, and a crash in between would pair the new file with the old
   * tables. The audit log is never rewritten (append-only); the restore itself is audited.
   */
  async restore(document: BackupDocument): Promise<RestoreResult> {
    const writes = plannedWrites(document)
    assertStarts(writes[0]!) // again: config.env may have changed since validate() (a password change)
    mkdirSync(dirname(writes[0]!.path), { recursive: true, mode: 0o700 })
    const staged: StagedFile[] = []
    let restored: RestoreCounts
    try {
      for (const write of writes) staged.push(envFile.stage(write.path, write.content))
      restored = await backupDb.replaceAll(document.tables)
    }
    catch (err) {
      for (const file of staged) file.discard()
      throw fromDatabase(err)
    }
    return afterRestore(document.created_at, restored, writes, staged)
  },
}

/**
 * Step 4 of restore() for both archive forms: the tables have committed; rename each staged file
 * into place, then let every cache see the new state.
 */
function afterRestore(createdAt: string, restored: RestoreCounts, writes: FileWrite[], staged: StagedFile[]): RestoreResult {
  const notRenamed: string[] = []
  for (const file of staged) {
    try {
      file.commit()
    }
    catch (err) {
      consola.error(`Restore: the tables were restored, but ${file.path} could not be replaced (${(err as Error).message}); its new content is in ${file.temp}`)
      notRenamed.push(`${file.path} (new content in ${file.temp})`)
    }
  }
  if (notRenamed.length) {
    throw new ApiError(500, 'RESTORE_INCOMPLETE', 'Restore incomplete', `The tables were restored, but ${notRenamed.join(', ')} could not be replaced; rename the file into place and restart the panel.`)
  }
  reloadConfig()
  securitySettings.invalidate()
  apiTokens.clearCache()
  consola.info(`Restored the backup of ${createdAt}: ${Object.entries(restored).map(([t, n]) => `${n} ${t}`).join(', ')}`)
  return { createdAt, restored, files: writes.map(w => w.name) }
}

/** A streamed archive's lines into the database (see restoreUpload); the files are staged before COMMIT and renamed after. */
async function restoreStreamed(source: AsyncIterable<Buffer>): Promise<RestoreResult & { auditLines: number }> {
  const reader = new ArchiveReader(await backupDb.appliedMigrations())
  const lines = readLines(source, MAX_LINE_BYTES, () => invalid(`a line of the archive is longer than ${MAX_LINE_BYTES} bytes`))
  let lineNo = 0
  const next = async () => {
    const { value, done } = await lines.next()
    if (done) reader.finish()
    lineNo++
    try {
      return reader.read(value!)
    }
    catch (err) {
      throw atLine(err, lineNo)
    }
  }
  // The header is checked before the tables are touched: a wrong schema version changes nothing.
  const header = await next()
  if (header.kind !== 'header') throw invalid('the archive has no header line')
  let writes: FileWrite[] = []
  const staged: StagedFile[] = []
  let result: { counts: RestoreCounts, auditLines: number } | undefined
  try {
    await backupDb.replaceStreaming(async (insert) => {
      let batch: string[] = []
      let table: BackupTableName | undefined
      // One batch is inserted while the next is read and validated (the database and this process
      // each keep a core busy); a refusal surfaces at the next flush or at the end.
      let inFlight: Promise<void> = Promise.resolve()
      const flush = async () => {
        // A row the database refuses (a repeated name) fails the transaction; fromDatabase words it below.
        if (table && batch.length) {
          await inFlight
          inFlight = insert(table, batch)
          inFlight.catch(() => {}) // awaited later; this only keeps it from counting as unhandled meanwhile
        }
        batch = []
      }
      for (;;) {
        const entry = await next()
        if (entry.kind === 'row') {
          if (entry.table !== table || batch.length >= INSERT_BATCH) await flush()
          table = entry.table
          batch.push(entry.json)
          continue
        }
        await flush()
        if (entry.kind !== 'end') continue
        await inFlight
        writes = plannedWrites({ files: entry.files } as BackupDocument)
        assertStarts(writes[0]!)
        mkdirSync(dirname(writes[0]!.path), { recursive: true, mode: 0o700 })
        for (const write of writes) staged.push(envFile.stage(write.path, write.content))
        result = { counts: entry.counts, auditLines: entry.auditLines }
        if (!(await lines.next()).done) throw invalid('the archive goes on after its end line')
        return
      }
    })
  }
  catch (err) {
    for (const file of staged) file.discard()
    throw fromDatabase(err)
  }
  return { ...afterRestore(header.createdAt, result!.counts, writes, staged), auditLines: result!.auditLines }
}

/** All of a stream as text, refused with 413 past `max` bytes. */
async function collect(source: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > max) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `Backup archives of format version 1 are limited to ${max} bytes (inflated); back up again to get a streamed archive.`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** What zlib says about a body that is not (or no longer) a gzip stream, in the archive's words. */
function inflateError(err: unknown, kind: ArchiveKind, raw: number): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (kind !== 'gzip' || !code?.startsWith('Z_')) return err
  if (raw === 0) return invalid('the request body is empty')
  return invalid(code === 'Z_DATA_ERROR' && /header/.test((err as Error).message) ? 'the body is not a gzip archive' : 'the gzip stream is damaged or truncated')
}
