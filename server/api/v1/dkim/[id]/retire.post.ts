import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { reconciler } from '#server/mailstack/runner'
import { dkim } from '#server/services/dkim/dkim'

/** POST /api/v1/dkim/:id/retire — the key neither signs nor is kept: its files go, its TXT record may be removed. */
export default defineApiHandler(async (event) => {
  const key = await dkim.retire(getIdParam(event))
  reconciler.request('dkim')
  return respond.message(`DKIM key ${key.selector} of ${key.domain} retired; its TXT record can be removed from DNS`, { key })
})
