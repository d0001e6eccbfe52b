import { webhooksDb } from '#server/db/queries/webhooks'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/admin/webhooks/:id — the webhook with its last delivery status (never the secret). */
export default defineApiHandler(async (event) => {
  const webhook = await webhooksDb.get(getIdParam(event))
  if (!webhook) throw apiErrors.notFound('WEBHOOK')
  return webhook
})
