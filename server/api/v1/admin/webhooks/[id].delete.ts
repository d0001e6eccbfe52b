import { webhooksDb } from '#server/db/queries/webhooks'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'

/** DELETE /api/v1/admin/webhooks/:id — removes the receiver; its undelivered events are dropped. */
export default defineApiHandler(async (event) => {
  const gone = await webhooksDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('WEBHOOK')
  return respond.message(`Webhook ${gone.id} deleted`)
})
