import * as v from 'valibot'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { idQueryParam, pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject({
  ...pageQueryEntries,
  domain_id: idQueryParam,
  search: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(320))),
})

/** GET /api/v1/mailboxes — mailboxes in creation order, paged; filters `?domain_id=` and `?search=` (address or name). */
export default defineApiHandler(async (event) => {
  const { page, limit, domain_id, search } = getValidQuery(event, query)
  const { rows, total } = await mailboxesDb.list({ page, limit }, { domainId: domain_id, search: search || undefined })
  return respond.list(rows, { page, limit }, total)
}, { query: true })
