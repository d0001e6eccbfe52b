// The Postfix mail queue as GET /api/v1/queue returns it (from `postqueue -j`, one object per message).
import type { QueueName } from '#shared/schemas/queue'
import type { ListEnvelope } from './list'

export type { QueueName } from '#shared/schemas/queue'

export interface QueueRecipient {
  address: string
  /** Why the last delivery attempt failed (`connect to … Connection refused`); null while none is recorded. */
  delay_reason: string | null
}

export interface QueueMessage {
  queue_id: string
  queue_name: QueueName
  arrival_time: Date
  /** Bytes of header and body (Postfix's message_size). */
  message_size: number
  /** The envelope sender; '' for a bounce (the null sender). */
  sender: string
  /** The recipients still to deliver, at most MAX_RECIPIENTS_SHOWN of them (`recipient_count` has them all). */
  recipients: QueueRecipient[]
  recipient_count: number
  /** `postsuper -e`/`-f` asked for it to expire (Postfix 3.5 and later). */
  forced_expire: boolean
}

/** Recipients listed per message; the rest are counted in `recipient_count`. */
export const MAX_RECIPIENTS_SHOWN = 100

/** A page of the queue (filters applied), plus how many messages each queue holds (unfiltered). */
export interface QueueList extends ListEnvelope<QueueMessage> {
  queues: Record<QueueName, number>
}

/** DELETE, hold and release: the message acted on; `changed` false when it already was so (hold of a held message). */
export interface QueueActionResponse {
  message: string
  queue_id: string
  changed: boolean
}
