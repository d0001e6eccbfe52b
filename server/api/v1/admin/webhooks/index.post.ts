import { webhookCreateSchema } from '#shared/schemas/webhook'
import { webhooksDb } from '#server/db/queries/webhooks'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'
import { securitySettings } from '#server/services/access/security-settings'
import { receiverGuard } from '#server/services/webhooks/receiver-guard'

/** POST /api/v1/admin/webhooks — registers a receiver for the chosen events (default: all); the receiver must be public or in webhook_allowed_ranges. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, webhookCreateSchema)
  await receiverGuard.assertRegistrable(input.url, (await securitySettings.get()).webhookAllowList)
  const webhook = await webhooksDb.create(input)
  return respond.message(`Webhook ${webhook.id} created for ${webhook.events.length} event(s)`, { id: webhook.id })
}, { status: 201 })
