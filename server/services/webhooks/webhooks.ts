import { createHmac, randomUUID } from 'node:crypto'
import { consola } from 'consola'
import type { WebhookEvent } from '#shared/schemas/webhook'
import { type DueDelivery, webhooksDb } from '#server/db/queries/webhooks'
import { securitySettings } from '#server/services/access/security-settings'
import { scrubSecrets } from '#server/utils/errors'
import { DELIVERY_ERRORS, receiverGuard } from './receiver-guard'

const USER_AGENT = 'BackendSide-MailPanel-Webhook/1'
const DELIVERY_TIMEOUT_MS = 5_000
/** The first retry waits this long; each later one twice as long as the one before, up to RETRY_MAX_SECONDS. */
const RETRY_BASE_SECONDS = 5
const RETRY_MAX_SECONDS = 3_600
/** 10 attempts at 5 s · 2^n cover about 43 minutes of receiver downtime before a delivery is given up. */
const MAX_ATTEMPTS = 10
// Deliveries sent at once; a receiver that hangs ties up a slot for at most DELIVERY_TIMEOUT_MS.
const MAX_IN_FLIGHT = 20
// Longer than one attempt can take, so a claimed row is not claimed again while still in flight;
// if the process dies mid-delivery the row becomes due again when the lease runs out.
const LEASE_SECONDS = 60

/** `sha256=<hex>` over the exact bytes sent. */
const signBody = (secret: string, body: Uint8Array): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

/** Seconds until the next attempt after `attempts` failed ones, or null: give up. */
function retryDelaySeconds(attempts: number): number | null {
  if (attempts >= MAX_ATTEMPTS) return null
  return Math.min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
}

/** One HTTP attempt, re-checked against the address policy; resolves to undefined on a 2xx, else to the generic text to store. Never throws. */
async function send(delivery: DueDelivery): Promise<string | undefined> {
  const body = Buffer.from(delivery.body, 'utf8')
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': USER_AGENT,
    'X-BackendSide-Event': delivery.event,
    'X-BackendSide-Delivery': delivery.event_id,
    'X-BackendSide-Timestamp': String(Math.floor(Date.now() / 1000)),
  }
  if (delivery.secret) headers['X-BackendSide-Signature'] = signBody(delivery.secret, body)
  try {
    // A redirect is not followed: the body is signed for this receiver, and a 3xx is not an acknowledgement.
    const outcome = await receiverGuard.deliver(delivery.url, { headers, body, timeoutMs: DELIVERY_TIMEOUT_MS }, (await securitySettings.get()).webhookAllowList)
    if (outcome.ok) return undefined
    // The specifics (refused, timed out, which address) stay in the server log: stored, they would map internal ports.
    consola.warn(`Webhook ${delivery.webhook_id}: ${delivery.event} ${delivery.event_id} not delivered: ${scrubSecrets(outcome.log)}`)
    return outcome.error
  }
  catch (err) {
    consola.warn(`Webhook ${delivery.webhook_id}: ${delivery.event} ${delivery.event_id} not delivered: ${scrubSecrets((err as Error).message)}`)
    return DELIVERY_ERRORS.failed
  }
}

async function deliver(delivery: DueDelivery): Promise<void> {
  const error = await send(delivery)
  if (error === undefined) return webhooksDb.markDelivered(delivery.id)
  const retryIn = retryDelaySeconds(delivery.attempts)
  if (retryIn === null) consola.warn(`Webhook ${delivery.webhook_id}: gave up on ${delivery.event} ${delivery.event_id} after ${delivery.attempts} attempts (${error})`)
  return webhooksDb.markFailed(delivery.id, error, retryIn)
}

let onQueued: (() => void) | undefined
const inFlight = new Set<Promise<void>>()

export const webhooks = {
  /**
   * Queues `event` for every webhook subscribed to it (one INSERT; the worker sends it). Called after
   * the mutation succeeded, so a failure here is logged rather than turned into an error for a
   * change that has already happened.
   */
  async emit(event: WebhookEvent, data: object): Promise<void> {
    const id = randomUUID()
    const body = JSON.stringify({ event, id, timestamp: new Date().toISOString(), data })
    try {
      if (await webhooksDb.enqueue(event, id, body)) onQueued?.()
    }
    catch (err) {
      consola.error(`Webhook event ${event} ${id} could not be queued: ${scrubSecrets((err as Error).message)}`)
    }
  },

  /** The worker's wake-up call, so a fresh event goes out now rather than at the next poll. */
  onQueued(listener: (() => void) | undefined): void {
    onQueued = listener
  },

  /**
   * Claims due deliveries up to the free in-flight slots and starts sending them without waiting,
   * so one slow receiver never holds up the next poll. Returns how many it claimed and whether it
   * filled every free slot (then more may be due right away).
   */
  async deliverDue(): Promise<{ claimed: number, full: boolean }> {
    const room = MAX_IN_FLIGHT - inFlight.size
    if (room <= 0) return { claimed: 0, full: false }
    const due = await webhooksDb.claimDue(room, LEASE_SECONDS)
    for (const delivery of due) {
      const task: Promise<void> = deliver(delivery)
        // The outcome could not be written: the lease runs out and the delivery is tried again.
        .catch((err: Error) => consola.warn(`Webhook delivery outcome not recorded: ${scrubSecrets(err.message)}`))
        .finally(() => inFlight.delete(task))
      inFlight.add(task)
    }
    return { claimed: due.length, full: due.length === room }
  },

  /** Resolves when every delivery started so far has been sent and recorded (for a clean shutdown). */
  async idle(): Promise<void> {
    while (inFlight.size) await Promise.allSettled([...inFlight])
  },

  prune: (keepDays: number) => webhooksDb.prune(keepDays),
}
