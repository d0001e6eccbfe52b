import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { reconciler } from '#server/mailstack/runner'
import { dkim } from '#server/services/dkim/dkim'

/** POST /api/v1/dkim/:id/activate — the key signs its domain's mail; the previous signing key stays published. */
export default defineApiHandler(async (event) => {
  const key = await dkim.activate(getIdParam(event))
  reconciler.request('dkim')
  return respond.message(`DKIM key ${key.selector} now signs mail for ${key.domain}`, { key })
})
