import type { Sql } from 'postgres'
import type { WebhookCreate, WebhookEvent } from '#shared/schemas/webhook'
import { useDb } from '#server/db/use'
import { pagedSelect } from './paged'
import type { Page } from '#shared/types/list'
import type { Webhook } from '#shared/types/webhooks'

/** A claimed delivery with what the worker needs to send it (including the secret, server-side only). */
export interface DueDelivery {
  id: number
  webhook_id: number
  event_id: string
  event: WebhookEvent
  body: string
  /** Counting this one. */
  attempts: number
  url: string
  secret: string | null
}

const columns = (sql: Sql) => sql`
  id, url, events, created_at, secret IS NOT NULL AS has_secret, last_delivery_at, last_status, last_error`

export const webhooksDb = {
  async list(page: Page): Promise<{ rows: Webhook[], total: number }> {
    const sql = useDb()
    return pagedSelect<Webhook>(sql, { columns: columns(sql), from: sql`webhooks`, orderBy: sql`id` }, page)
  },

  async get(id: number): Promise<Webhook | undefined> {
    const sql = useDb()
    const [row] = await sql<Webhook[]>`SELECT ${columns(sql)} FROM webhooks WHERE id = ${id}`
    return row
  },

  async create(input: WebhookCreate): Promise<Webhook> {
    const sql = useDb()
    const [row] = await sql<Webhook[]>`
      INSERT INTO webhooks (url, secret, events) VALUES (${input.url}, ${input.secret ?? null}, ${input.events})
      RETURNING ${columns(sql)}`
    return row!
  },

  /** Pending deliveries go with it (ON DELETE CASCADE). */
  async remove(id: number): Promise<Webhook | undefined> {
    const sql = useDb()
    const [row] = await sql<Webhook[]>`DELETE FROM webhooks WHERE id = ${id} RETURNING ${columns(sql)}`
    return row
  },

  /** The outbox write: one pending row per webhook subscribed to `event`, in one statement. */
  async enqueue(event: WebhookEvent, eventId: string, body: string): Promise<number> {
    const sql = useDb()
    const rows = await sql`
      INSERT INTO webhook_deliveries (webhook_id, event_id, event, body)
      SELECT id, ${eventId}, ${event}, ${body} FROM webhooks WHERE ${event} = ANY (events)
      RETURNING id`
    return rows.length
  },

  /**
   * Claims up to `limit` due deliveries by pushing their next attempt `leaseSeconds` ahead: another
   * worker (or this one after a crash) skips them until the lease runs out. The row locks last only
   * for this statement, never across the HTTP call.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<DueDelivery[]> {
    const sql = useDb()
    return sql<DueDelivery[]>`
      UPDATE webhook_deliveries d
      SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
      FROM webhooks w
      WHERE w.id = d.webhook_id AND d.id IN (
        SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING d.id, d.webhook_id, d.event_id, d.event, d.body, d.attempts, w.url, w.secret`
  },

  async markDelivered(id: number): Promise<void> {
    await useDb()`
      WITH d AS (
        UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL
        WHERE id = ${id} RETURNING webhook_id)
      UPDATE webhooks w SET last_delivery_at = now(), last_status = 'delivered', last_error = NULL
      FROM d WHERE w.id = d.webhook_id`
  },

  /** A failed attempt: retried after `retryInSeconds`, or given up for good when that is null. */
  async markFailed(id: number, error: string, retryInSeconds: number | null): Promise<void> {
    const sql = useDb()
    const status = retryInSeconds === null ? 'failed' : 'pending'
    const next = retryInSeconds === null ? sql`next_attempt_at` : sql`now() + make_interval(secs => ${retryInSeconds})`
    await sql`
      WITH d AS (
        UPDATE webhook_deliveries SET status = ${status}, last_error = ${error}, next_attempt_at = ${next}
        WHERE id = ${id} RETURNING webhook_id)
      UPDATE webhooks w SET last_delivery_at = now(), last_status = ${retryInSeconds === null ? 'failed' : 'retrying'}, last_error = ${error}
      FROM d WHERE w.id = d.webhook_id`
  },

  /** Finished deliveries are history, kept a while for inspection, then dropped. */
  async prune(keepDays: number): Promise<number> {
    const sql = useDb()
    const rows = await sql`
      DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(days => ${keepDays}) RETURNING id`
    return rows.length
  },
}
