import * as v from 'valibot'
import { tokensDb } from '#server/db/queries/tokens'
import { defineApiHandler } from '#server/request/api-handler'
import { pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject(pageQueryEntries)

/** GET /api/v1/admin/tokens — managed API tokens (never the token itself; `prefix` identifies it). */
export default defineApiHandler(async (event) => {
  const page = getValidQuery(event, query)
  const { rows, total } = await tokensDb.list(page)
  return respond.list(rows, page, total)
}, { query: true })
