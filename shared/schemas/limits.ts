import * as v from 'valibot'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'

const int = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`))

/** The per-mailbox limits, set at server, domain or mailbox tier. 0 = unlimited for the daily limit and quota. */
export const limitFields = {
  smtp_enabled: v.boolean('must be true or false'),
  require_tls: v.boolean('must be true or false'),
  max_message_size: int(1024, 2_147_483_647),
  max_recipients: int(1, 100_000),
  daily_send_limit: int(0, 10_000_000),
  quota_mb: int(0, 16_777_216),
}

export const LIMIT_KEYS = Object.keys(limitFields) as (keyof typeof limitFields)[]
export type LimitKey = (typeof LIMIT_KEYS)[number]

export type Limits = { [K in LimitKey]: v.InferOutput<(typeof limitFields)[K]> }
export type LimitOverrides = { [K in LimitKey]: Limits[K] | null }

/** PUT /config/server: any subset, values required (the server tier has no tier above it). */
export const serverLimitsUpdateSchema = v.pipe(v.partial(v.strictObject(limitFields)), v.check(nonEmpty, NON_EMPTY_MESSAGE))

/** PUT /domains/:id/config and /mailboxes/:id/config: any subset; null clears the override. */
export const overridesUpdateSchema = v.pipe(
  v.strictObject(Object.fromEntries(LIMIT_KEYS.map(k => [k, v.optional(v.nullable(limitFields[k]))])) as {
    [K in LimitKey]: v.OptionalSchema<v.NullableSchema<(typeof limitFields)[K], undefined>, undefined>
  }),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)
