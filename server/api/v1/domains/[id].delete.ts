import { domainsDb } from '../../../db/queries/domains'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam } from '../../../utils/validate'
import { webhooks } from '../../../utils/webhooks'

/** DELETE /api/v1/domains/:id — deletes the domain with all its mailboxes and aliases. */
export default defineApiHandler(async (event) => {
  const gone = await domainsDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('DOMAIN')
  const { mailboxes, aliases, ...domain } = gone
  await webhooks.emit('domain.deleted', domain)
  return respond.message(`Domain ${gone.name} deleted with ${mailboxes} mailbox(es) and ${aliases} alias(es)`)
})
