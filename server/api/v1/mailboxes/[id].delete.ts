import { mailboxesDb } from '../../../db/queries/mailboxes'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam } from '../../../utils/validate'
import { webhooks } from '../../../utils/webhooks'

/** DELETE /api/v1/mailboxes/:id — deletes the mailbox. */
export default defineApiHandler(async (event) => {
  const gone = await mailboxesDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('MAILBOX')
  await webhooks.emit('mailbox.deleted', gone)
  return respond.message(`Mailbox ${gone.address} deleted`)
})
