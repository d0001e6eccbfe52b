import { domainsDb } from '#server/db/queries/domains'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** DELETE /api/v1/domains/:id — deletes the domain with all its mailboxes and aliases. */
export default defineApiHandler(async (event) => {
  const gone = await domainsDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('DOMAIN')
  const { mailboxes, aliases, ...domain } = gone
  await webhooks.emit('domain.deleted', domain)
  return respond.message(`Domain ${gone.name} deleted with ${mailboxes} mailbox(es) and ${aliases} alias(es)`)
})
