import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import * as v from 'valibot'
import { consola } from 'consola'
import { backupDocumentSchema, type BackupDocument, type BackupFiles } from '#shared/schemas/backup'
import { backupDb, type RestoreCounts } from '#server/db/queries/backup'
import { apiTokens } from '#server/services/access/api-tokens'
import { configFromValues, ConfigError, effectiveValues, reloadConfig, useConfig } from '#server/utils/config'
import { envFile } from '#lib/env-file.mjs'
import type { StagedFile } from '#lib/write-atomic.mjs'
import { ApiError, apiErrors } from '#server/utils/errors'
import { readBodyCapped } from '#server/utils/body'
import { securitySettings } from '#server/services/access/security-settings'
import { backupArchive, MAX_ARCHIVE_BYTES, type ArchiveKind } from './backup-archive'

const GZIP_TYPE = /^application\/(?:gzip|x-gzip|octet-stream)\s*(?:;|$)/i
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

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
  /** The whole panel state as a gzip archive: one consistent database snapshot plus the config files. */
  async create(options: { includeAudit: boolean }): Promise<{ bytes: Buffer, fileName: string }> {
    const { schemaVersions, tables } = await backupDb.snapshot()
    const { paths } = useConfig()
    const files: BackupFiles = { 'config.env': readOptional(paths.configFile) ?? '' }
    const firewall = readOptional(paths.firewallState)
    if (firewall !== undefined) files['firewall.json'] = firewall
    if (options.includeAudit) files['audit.log'] = readOptional(paths.auditLog) ?? ''
    const createdAt = new Date()
    const document = backupArchive.build({ createdAt, schemaVersions, tables, files })
    // A backup that would not restore is found out now, not on the day it is needed.
    const check = v.safeParse(backupDocumentSchema, document)
    if (!check.success) consola.warn(`This backup would not restore as-is: ${check.issues.slice(0, 3).map(i => `${v.getDotPath(i)}: ${i.message}`).join('; ')}`)
    return { bytes: await backupArchive.encode(document), fileName: backupArchive.fileName(createdAt) }
  },

  /** The uploaded archive's bytes: gzip (or octet-stream) or uncompressed JSON; 415 otherwise, 413 above the cap. */
  async readUpload(event: H3Event): Promise<{ bytes: Buffer, kind: ArchiveKind }> {
    const type = getRequestHeader(event, 'content-type') ?? ''
    const kind: ArchiveKind | undefined = GZIP_TYPE.test(type) ? 'gzip' : JSON_TYPE.test(type) ? 'json' : undefined
    if (!kind) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type',
        'Send the archive from GET /api/v1/admin/backup as the raw body with Content-Type: application/gzip (or application/json for an uncompressed document).')
    }
    // The one capped reader (server/utils/body.ts), with the archive's own cap.
    return { bytes: await readBodyCapped(event, MAX_ARCHIVE_BYTES), kind }
  },

  /** Parses and validates the whole archive (rows, files, the config.env it would leave) against this panel; touches nothing. */
  async validate(bytes: Buffer, kind: ArchiveKind): Promise<BackupDocument> {
    const input = await backupArchive.decode(bytes, kind)
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
    consola.info(`Restored the backup of ${document.created_at}: ${Object.entries(restored).map(([t, n]) => `${n} ${t}`).join(', ')}`)
    return { createdAt: document.created_at, restored, files: writes.map(w => w.name) }
  },
}
