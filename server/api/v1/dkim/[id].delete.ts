import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { reconciler } from '#server/mailstack/runner'
import { dkim } from '#server/services/dkim/dkim'

/** DELETE /api/v1/dkim/:id — deletes a key that does not sign (409 DKIM_KEY_ACTIVE for the active one). */
export default defineApiHandler(async (event) => {
  const key = await dkim.remove(getIdParam(event))
  reconciler.request('dkim')
  return respond.message(`DKIM key ${key.selector} of ${key.domain} deleted`)
})
