import * as v from 'valibot'
import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject(pageQueryEntries)

/** GET /api/v1/certificates — stored certificates (metadata only, never a key), `active` on the one being served. */
export default defineApiHandler(async (event) => {
  const page = getValidQuery(event, query)
  const { rows, total } = await certificates.list(page)
  return respond.list(rows, page, total)
}, { query: true })
