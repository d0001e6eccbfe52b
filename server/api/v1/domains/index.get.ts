import * as v from 'valibot'
import { domainsDb } from '#server/db/queries/domains'
import { defineApiHandler } from '#server/request/api-handler'
import { pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject({ ...pageQueryEntries, search: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(253))) })

/** GET /api/v1/domains — domains by name, paged; `?search=` matches part of the name. */
export default defineApiHandler(async (event) => {
  const { page, limit, search } = getValidQuery(event, query)
  const { rows, total, capped } = await domainsDb.list({ page, limit }, search || undefined)
  return respond.list(rows, { page, limit }, total, capped)
}, { query: true })
