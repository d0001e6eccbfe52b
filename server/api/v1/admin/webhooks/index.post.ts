import { webhookCreateSchema } from '#shared/schemas/webhook'
import { webhooksDb } from '#server/db/queries/webhooks'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** POST /api/v1/admin/webhooks — registers a receiver for the chosen events (default: all). */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, webhookCreateSchema)
  const webhook = await webhooksDb.create(input)
  return respond.message(`Webhook ${webhook.id} created for ${webhook.events.length} event(s)`, { id: webhook.id })
}, { status: 201 })
