import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** DELETE /api/v1/mailboxes/:id — deletes the mailbox. */
export default defineApiHandler(async (event) => {
  const gone = await mailboxesDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('MAILBOX')
  await webhooks.emit('mailbox.deleted', gone)
  return respond.message(`Mailbox ${gone.address} deleted`)
})
