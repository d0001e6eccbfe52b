import { mailboxUpdateSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PUT /api/v1/mailboxes/:id — changes name, quota_mb (null = inherit) and/or active. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, mailboxUpdateSchema)
  if (!await mailboxesDb.update(id, changes)) throw apiErrors.notFound('MAILBOX')
  return respond.message('Mailbox updated')
})
