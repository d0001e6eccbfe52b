import * as v from 'valibot'
import { webhooksDb } from '../../../../db/queries/webhooks'
import { defineApiHandler } from '../../../../utils/api-handler'
import { pageQueryEntries, respond } from '../../../../utils/respond'
import { getValidQuery } from '../../../../utils/validate'

const query = v.strictObject(pageQueryEntries)

/** GET /api/v1/admin/webhooks — registered receivers with their last delivery status (never the secret). */
export default defineApiHandler(async (event) => {
  const page = getValidQuery(event, query)
  const { rows, total } = await webhooksDb.list(page)
  return respond.list(rows, page, total)
}, { query: true })
