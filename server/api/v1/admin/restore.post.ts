import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { backup } from '#server/services/backup/backup'
import { respond } from '#server/request/respond'

/**
 * POST /api/v1/admin/restore — replaces all panel data and config.env with a backup archive's (raw
 * gzip body, streamed: any size in flat memory); every line is validated and the whole archive is
 * applied in one transaction that commits only once its checksum holds → `{message, restored, files}`.
 */
export default defineApiHandler(async (event) => {
  const { createdAt, restored, files, auditLines } = await backup.restoreUpload(event)
  // The restored settings (and config.env's DATABASE_URL) decide the mail configuration.
  reconciler.request('restore')
  const note = auditLines ? '; its audit.log is kept in the archive only (the live audit log is append-only)' : ''
  return respond.message(`Backup of ${createdAt} restored${note}`, { restored, files })
})
