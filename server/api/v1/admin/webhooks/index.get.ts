import * as v from 'valibot'
import { webhooksDb } from '#server/db/queries/webhooks'
import { defineApiHandler } from '#server/request/api-handler'
import { pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject(pageQueryEntries)

/** GET /api/v1/admin/webhooks — registered receivers with their last delivery status (never the secret). */
export default defineApiHandler(async (event) => {
  const page = getValidQuery(event, query)
  const { rows, total } = await webhooksDb.list(page)
  return respond.list(rows, page, total)
}, { query: true })
