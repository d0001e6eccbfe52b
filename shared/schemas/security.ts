import * as v from 'valibot'
import { isIpOrCidr } from '#lib/ip-or-cidr.mjs'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'

const MAX_LIST_ENTRIES = 1000
export { isIpOrCidr }

export const ipList = v.pipe(
  v.array(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.check(isIpOrCidr, 'each entry must be an IPv4/IPv6 address or CIDR such as 203.0.113.0/24'))),
  v.maxLength(MAX_LIST_ENTRIES, `at most ${MAX_LIST_ENTRIES} entries`),
  v.transform(list => [...new Set(list)]),
)

export const perMinute = (max: number) => v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(max, `must be at most ${max}`))

export const securitySettingsUpdateSchema = v.pipe(
  v.strictObject({
    admin_login_whitelist: v.optional(ipList),
    api_key_whitelist: v.optional(ipList),
    login_rate_limit: v.optional(perMinute(100_000)),
    api_rate_limit: v.optional(perMinute(1_000_000)),
    trusted_proxies: v.optional(ipList),
    /** Private ranges webhook receivers may be in (default none: receivers must be public addresses). */
    webhook_allowed_ranges: v.optional(ipList),
    /** Required to save an admin allowlist that would not include the caller's own address. */
    confirm_lockout: v.optional(v.boolean()),
  }),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)

export const adminPasswordSchema = v.strictObject({
  current_password: v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(1024)),
  new_password: v.pipe(v.string(), v.minLength(12, 'must be at least 12 characters'), v.check(s => new TextEncoder().encode(s).length <= 72, 'must be at most 72 bytes')),
})

export const tokenCreateSchema = v.strictObject({
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'is required'), v.maxLength(100, 'must be at most 100 characters')),
})

export type SecuritySettingsUpdate = v.InferOutput<typeof securitySettingsUpdateSchema>
