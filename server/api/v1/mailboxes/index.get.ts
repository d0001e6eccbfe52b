import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { directoryListQuery, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

/** GET /api/v1/mailboxes — mailboxes in address order, paged; filters `?domain_id=` and `?search=` (address or name). */
export default defineApiHandler(async (event) => {
  const { page, limit, domain_id, search } = getValidQuery(event, directoryListQuery)
  const { rows, total, capped } = await mailboxesDb.list({ page, limit }, { domainId: domain_id, search: search || undefined })
  return respond.list(rows, { page, limit }, total, capped)
}, { query: true })
