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

// Per-port firewall (GET/PUT /api/v1/security/firewall): the mail ports the panel manages; the panel's
// own port (PORT in config.env) joins them at run time, so the schema is made for that port.
export const FIREWALL_MAIL_PORTS = [25, 465, 587, 993, 995, 143, 110] as const
export const FIREWALL_MODES = ['allow', 'block', 'restrict'] as const
/** Addresses per port: iptables checks each packet against the list in turn, so keep it short. */
export const MAX_FIREWALL_ADDRESSES = 100

/** The ports a firewall table has: the mail ports, then the panel's own (once, if it is one of them). */
export const firewallPorts = (panelPort: number): number[] => [...new Set([...FIREWALL_MAIL_PORTS, panelPort])]

/**
 * One port's rule. `addresses` is kept in every mode (switching back to restrict finds the list
 * again) but only restrict applies it, and restrict needs at least one.
 */
export const firewallRuleSchema = (ports: readonly number[]) => v.pipe(
  v.strictObject({
    port: v.pipe(v.number(), v.integer('must be an integer'), v.check(p => ports.includes(p), `must be one of the managed ports: ${ports.join(', ')}`)),
    mode: v.picklist(FIREWALL_MODES),
    addresses: v.optional(v.pipe(ipList, v.maxLength(MAX_FIREWALL_ADDRESSES, `must have at most ${MAX_FIREWALL_ADDRESSES} entries`)), []),
  }),
  v.forward(v.check(rule => rule.mode !== 'restrict' || rule.addresses.length > 0, 'restrict needs at least one address (or choose block)'), ['addresses']),
)

/** PUT /api/v1/security/firewall: the whole table; a managed port left out is Allow. */
export const firewallUpdateSchema = (panelPort: number) => {
  const ports = firewallPorts(panelPort)
  return v.strictObject({
    ports: v.pipe(
      v.array(firewallRuleSchema(ports)),
      v.maxLength(ports.length, `must have at most ${ports.length} items`),
      v.check(list => new Set(list.map(r => r.port)).size === list.length, 'each port may appear only once'),
    ),
  })
}

export type FirewallMode = (typeof FIREWALL_MODES)[number]
export type FirewallRule = v.InferOutput<ReturnType<typeof firewallRuleSchema>>
export type FirewallUpdate = v.InferOutput<ReturnType<typeof firewallUpdateSchema>>
