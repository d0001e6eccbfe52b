import type { WebhookEvent } from '#shared/schemas/webhook'

/** `last_status` of the most recent attempt: delivered, retrying (failed, will retry) or failed (given up). */
export type WebhookStatus = 'delivered' | 'retrying' | 'failed'

/** A webhook as the API shows it: never the secret, only whether one is set. */
export interface Webhook {
  id: number
  url: string
  events: WebhookEvent[]
  created_at: Date
  has_secret: boolean
  last_delivery_at: Date | null
  last_status: WebhookStatus | null
  last_error: string | null
}
