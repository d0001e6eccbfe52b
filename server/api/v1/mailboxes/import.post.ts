import { type H3Event, setResponseStatus } from 'h3'
import { mailboxImportQuery } from '#shared/schemas/mailbox-import'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'
import { mailboxImport } from '#server/services/directory/mailbox-import'
import { closeAfterResponse } from '#server/utils/body'
import { ApiError, apiErrors } from '#server/utils/errors'

const plural = (n: number) => `${n} mailbox${n === 1 ? '' : 'es'}`

/** 409 while a job runs; given the event (the body still unread), the connection closes after the answer. */
function refuseWhileRunning(unread?: H3Event): void {
  const running = mailboxImport.running()
  if (running) throw new ApiError(409, 'IMPORT_RUNNING', 'Import running', `Import ${running.id} is still running; wait for it to finish.`, unread ? closeAfterResponse(unread) : {})
}

/**
 * POST /api/v1/mailboxes/import — mailboxes from a text/csv body. `?dry_run=true` → the report
 * `{rows, valid, invalid, errors, errors_truncated}` and nothing changes; otherwise any bad row → 400
 * naming the first ones (nothing changes), else 201 `{message, imported}`, or 202 `{message, job_id}` when
 * many passwords must be hashed (GET /api/v1/mailboxes/import/:jobId follows it).
 */
export default defineApiHandler(async (event) => {
  const { dry_run: dryRun } = getValidQuery(event, mailboxImportQuery)
  // Before reading the file (and without keeping the connection to drain it), and again before starting.
  if (!dryRun) refuseWhileRunning(event)
  const checked = await mailboxImport.check(event)
  event.context.auditTarget = `${checked.report.rows} rows`
  if (dryRun) return checked.report
  if (checked.report.errors.length) throw apiErrors.validation(mailboxImport.refusal(checked.report))
  if (mailboxImport.fitsInRequest(checked)) {
    const imported = await mailboxImport.importNow(checked)
    setResponseStatus(event, 201)
    return respond.message(`${plural(imported)} imported`, { imported })
  }
  refuseWhileRunning()
  const job = await mailboxImport.startJob(event, checked)
  setResponseStatus(event, 202)
  return respond.message(`Importing ${plural(job.progress.total)}: follow GET /api/v1/mailboxes/import/${job.id}`, { job_id: job.id })
}, { query: true })
