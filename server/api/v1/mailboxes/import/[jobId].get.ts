import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { getValidParam } from '#server/request/validate'
import { mailboxImport } from '#server/services/directory/mailbox-import'
import { ApiError } from '#server/utils/errors'

const jobId = v.pipe(v.string(), v.uuid('must be an import job id'))

/** GET /api/v1/mailboxes/import/:jobId — a background import: state, progress {done, total}, errors, result or failure. */
export default defineApiHandler((event) => {
  const job = mailboxImport.job(getValidParam(event, 'jobId', jobId))
  if (!job) throw new ApiError(404, 'IMPORT_JOB_NOT_FOUND', 'Import job not found', 'No import job with that id (jobs are kept in memory for an hour after they end, and not across a restart).')
  return job
})
