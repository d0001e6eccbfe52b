import { mailboxesDb } from '../../../db/queries/mailboxes'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam } from '../../../utils/validate'

/** DELETE /api/v1/mailboxes/:id — deletes the mailbox. */
export default defineApiHandler(async (event) => {
  const gone = await mailboxesDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('MAILBOX')
  return respond.message(`Mailbox ${gone.address} deleted`)
})
