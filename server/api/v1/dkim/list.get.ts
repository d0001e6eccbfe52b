import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { idQueryParam } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'
import { dkim } from '#server/services/dkim/dkim'

const query = v.strictObject({ domain_id: idQueryParam })

/** GET /api/v1/dkim/list — every DKIM key (optionally `?domain_id=`), with its TXT record; never a private key. */
export default defineApiHandler(async (event) => {
  const { domain_id } = getValidQuery(event, query)
  return { data: await dkim.list(domain_id) }
}, { query: true })
