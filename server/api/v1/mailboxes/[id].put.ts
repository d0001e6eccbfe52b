import { mailboxUpdateSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '../../../db/queries/mailboxes'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam, readValidBody } from '../../../utils/validate'

/** PUT /api/v1/mailboxes/:id — changes name, quota_mb (null = inherit) and/or active. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, mailboxUpdateSchema)
  if (!await mailboxesDb.update(id, changes)) throw apiErrors.notFound('MAILBOX')
  return respond.message('Mailbox updated')
})
