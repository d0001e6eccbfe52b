import { webhookCreateSchema } from '#shared/schemas/webhook'
import { webhooksDb } from '../../../../db/queries/webhooks'
import { receiverGuard } from '../../../../services/webhooks/receiver-guard'
import { defineApiHandler } from '../../../../utils/api-handler'
import { respond } from '../../../../utils/respond'
import { securitySettings } from '../../../../utils/security-settings'
import { readValidBody } from '../../../../utils/validate'

/** POST /api/v1/admin/webhooks — registers a receiver for the chosen events (default: all); the receiver must be public or in webhook_allowed_ranges. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, webhookCreateSchema)
  await receiverGuard.assertRegistrable(input.url, (await securitySettings.get()).webhookAllowList)
  const webhook = await webhooksDb.create(input)
  return respond.message(`Webhook ${webhook.id} created for ${webhook.events.length} event(s)`, { id: webhook.id })
}, { status: 201 })
