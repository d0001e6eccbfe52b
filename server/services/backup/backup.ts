import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import * as v from 'valibot'
import { consola } from 'consola'
import { backupDocumentSchema, type BackupDocument, type BackupFiles } from '#shared/schemas/backup'
import { backupDb, type RestoreCounts } from '#server/db/queries/backup'
import { apiTokens } from '#server/services/access/api-tokens'
import { reloadConfig, useConfig } from '#server/utils/config'
import { envFile } from '#lib/env-file.mjs'
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

interface PendingWrite {
  name: string
  path: string
  content: string
  /** The file as it was before, or undefined when it did not exist: put back if the transaction fails. */
  previous: string | undefined
}

const readOptional = (path: string): string | undefined => existsSync(path) ? readFileSync(path, 'utf8') : undefined

function putBack(write: PendingWrite): void {
  try {
    if (write.previous === undefined) unlinkSync(write.path)
    else envFile.writeAtomic(write.path, write.previous)
  }
  catch (err) {
    consola.error(`Restore rolled back, but ${write.path} could not be put back: ${(err as Error).message}`)
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

  /** Parses and validates the whole archive against this database's schema; touches nothing. */
  async validate(bytes: Buffer, kind: ArchiveKind): Promise<BackupDocument> {
    const input = await backupArchive.decode(bytes, kind)
    return backupArchive.validate(input, await backupDb.appliedMigrations())
  },

  /**
   * Replaces the database content and config.env (and firewall.json when archived) with the archive's,
   * all or nothing: the files are written inside the transaction, just before COMMIT, and put back
   * if anything fails. The audit log is never rewritten (append-only); the restore itself is audited.
   */
  async restore(document: BackupDocument): Promise<RestoreResult> {
    const { paths } = useConfig()
    const currentConfig = readOptional(paths.configFile)
    const writes: PendingWrite[] = [{
      name: 'config.env',
      path: paths.configFile,
      content: backupArchive.mergeConfig(document.files['config.env'], currentConfig ?? ''),
      previous: currentConfig,
    }]
    const firewall = document.files['firewall.json']
    if (firewall !== undefined) writes.push({ name: 'firewall.json', path: paths.firewallState, content: firewall, previous: readOptional(paths.firewallState) })

    const written: PendingWrite[] = []
    let restored: RestoreCounts
    try {
      restored = await backupDb.replaceAll(document.tables, async () => {
        mkdirSync(dirname(paths.configFile), { recursive: true, mode: 0o700 })
        for (const write of writes) {
          envFile.writeAtomic(write.path, write.content)
          written.push(write)
        }
      })
    }
    catch (err) {
      // Only reached with files written if the COMMIT itself failed: the files follow the rollback.
      written.forEach(putBack)
      throw fromDatabase(err)
    }
    reloadConfig()
    securitySettings.invalidate()
    apiTokens.clearCache()
    consola.info(`Restored the backup of ${document.created_at}: ${Object.entries(restored).map(([t, n]) => `${n} ${t}`).join(', ')}`)
    return { createdAt: document.created_at, restored, files: writes.map(w => w.name) }
  },
}
