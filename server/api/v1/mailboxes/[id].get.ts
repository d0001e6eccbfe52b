import { mailboxesDb } from '../../../db/queries/mailboxes'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { getIdParam } from '../../../utils/validate'

/** GET /api/v1/mailboxes/:id — the mailbox (never its password hash). */
export default defineApiHandler(async (event) => {
  const mailbox = await mailboxesDb.get(getIdParam(event))
  if (!mailbox) throw apiErrors.notFound('MAILBOX')
  return mailbox
})
