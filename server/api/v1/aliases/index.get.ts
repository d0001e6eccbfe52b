import { aliasesDb } from '#server/db/queries/aliases'
import { defineApiHandler } from '#server/request/api-handler'
import { directoryListQuery, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

/** GET /api/v1/aliases — aliases, paged; filters `?domain_id=` and `?search=` (source or destination). */
export default defineApiHandler(async (event) => {
  const { page, limit, domain_id, search } = getValidQuery(event, directoryListQuery)
  const { rows, total, capped } = await aliasesDb.list({ page, limit }, { domainId: domain_id, search: search || undefined })
  return respond.list(rows, { page, limit }, total, capped)
}, { query: true })
