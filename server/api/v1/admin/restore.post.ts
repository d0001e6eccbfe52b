import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { backup } from '#server/services/backup/backup'
import { respond } from '#server/request/respond'

/**
 * POST /api/v1/admin/restore — replaces all panel data and config.env with a backup archive's (raw
 * gzip body); the archive is validated in full first and applied in one transaction → `{message, restored, files}`.
 */
export default defineApiHandler(async (event) => {
  const { bytes, kind } = await backup.readUpload(event)
  const document = await backup.validate(bytes, kind)
  const { createdAt, restored, files } = await backup.restore(document)
  // The restored settings (and config.env's DATABASE_URL) decide the mail configuration.
  reconciler.request('restore')
  const note = document.files['audit.log'] === undefined ? '' : '; its audit.log is kept in the archive only (the live audit log is append-only)'
  return respond.message(`Backup of ${createdAt} restored${note}`, { restored, files })
})
