import * as v from 'valibot'
import { certificates } from '../../../services/tls/certificates'
import { defineApiHandler } from '../../../utils/api-handler'
import { pageQueryEntries, respond } from '../../../utils/respond'
import { getValidQuery } from '../../../utils/validate'

const query = v.strictObject(pageQueryEntries)

/** GET /api/v1/certificates — stored certificates (metadata only, never a key), `active` on the one being served. */
export default defineApiHandler(async (event) => {
  const page = getValidQuery(event, query)
  const { rows, total } = await certificates.list(page)
  return respond.list(rows, page, total)
}, { query: true })
