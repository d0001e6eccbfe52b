import { webhookCreateSchema } from '#shared/schemas/webhook'
import { webhooksDb } from '../../../../db/queries/webhooks'
import { defineApiHandler } from '../../../../utils/api-handler'
import { respond } from '../../../../utils/respond'
import { readValidBody } from '../../../../utils/validate'

/** POST /api/v1/admin/webhooks — registers a receiver for the chosen events (default: all). */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, webhookCreateSchema)
  const webhook = await webhooksDb.create(input)
  return respond.message(`Webhook ${webhook.id} created for ${webhook.events.length} event(s)`, { id: webhook.id })
}, { status: 201 })
