import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/mailboxes/:id — the mailbox (never its password hash). */
export default defineApiHandler(async (event) => {
  const mailbox = await mailboxesDb.get(getIdParam(event))
  if (!mailbox) throw apiErrors.notFound('MAILBOX')
  return mailbox
})
