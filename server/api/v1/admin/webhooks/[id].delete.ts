import { webhooksDb } from '../../../../db/queries/webhooks'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { respond } from '../../../../utils/respond'
import { getIdParam } from '../../../../utils/validate'

/** DELETE /api/v1/admin/webhooks/:id — removes the receiver; its undelivered events are dropped. */
export default defineApiHandler(async (event) => {
  const gone = await webhooksDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('WEBHOOK')
  return respond.message(`Webhook ${gone.id} deleted`)
})
