import * as v from 'valibot'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'
import type { WhitelistKind } from '#shared/types/antispam'

// Anti-spam settings (one row) and whitelist entries: the API, a restore and the renderer check with these.

const flag = v.boolean('must be true or false')
const int = (min: number, max: number) => v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`))

/** A DNS zone of host-name labels, optionally with Postfix's reply filter: `zen.spamhaus.org=127.0.0.[2..11]`. */
export const DNSBL_ZONE_RE = /^(?=[^=]{1,253}(?:=|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:=127(?:\.(?:\d{1,3}|\[\d{1,3}(?:\.\.\d{1,3})?(?:;\d{1,3}(?:\.\.\d{1,3})?)*\])){3})?$/
export const MAX_DNSBL_ZONES = 20

// No trim: a zone with a blank or line break is refused, never silently repaired into a different line of main.cf.
export const dnsblZone = v.pipe(
  v.string('must be a string'),
  v.regex(/^\S+$/, 'must not contain blanks or line breaks'),
  v.toLowerCase(),
  v.regex(DNSBL_ZONE_RE, 'must be a DNS zone such as zen.spamhaus.org, optionally with a reply filter such as =127.0.0.[2..11]'),
)

export const antispamSettingsFields = {
  dnsbl_enabled: flag,
  dnsbl_zones: v.pipe(v.array(dnsblZone, 'must be a list of DNS zones'), v.maxLength(MAX_DNSBL_ZONES, `at most ${MAX_DNSBL_ZONES} zones`)),
  greylist_enabled: flag,
  greylist_delay: int(1, 86_400),
  greylist_max_age_days: int(1, 3650),
  greylist_auto_whitelist: int(0, 1000),
  spf_enabled: flag,
  dmarc_enabled: flag,
  clamav_enabled: flag,
  spampd_enabled: flag,
}

export type AntispamSettingsRow = { [K in keyof typeof antispamSettingsFields]: v.InferOutput<(typeof antispamSettingsFields)[K]> }
export const ANTISPAM_SETTING_KEYS = Object.keys(antispamSettingsFields) as (keyof AntispamSettingsRow)[]

export const antispamSettingsSchema = v.strictObject(antispamSettingsFields)
export const antispamSettingsUpdateSchema = v.pipe(
  v.partial(v.strictObject(antispamSettingsFields)),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)

// ---- Whitelist entries -------------------------------------------------------------------------

export const WHITELIST_KINDS = ['ip', 'cidr', 'domain', 'email'] as const

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const isIpv6 = (s: string) => v.is(v.pipe(v.string(), v.ipv6()), s) && !s.includes('%')
const HOST_DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * Why a whitelist value is refused for its kind, or undefined. The value must already be canonical
 * (see canonicalWhitelistValue): what is stored, restored and rendered passes this same check.
 */
export function whitelistEntryProblem(kind: string, value: string): string | undefined {
  if (/[\s\0,#]/.test(value)) return 'must not contain blanks, commas or #'
  switch (kind) {
    case 'ip':
      if (isIpv6(value) && compressIpv6(value) !== value) return `must be written ${compressIpv6(value) ?? 'with hex groups only'}`
      return IPV4.test(value) || isIpv6(value) ? undefined : 'must be an IPv4 address (192.0.2.10) or an IPv6 address (2001:db8::10)'
    case 'cidr': {
      const [net = '', len, ...more] = value.split('/')
      if (len === undefined || more.length || !/^\d{1,3}$/.test(len)) return 'must be a network such as 192.0.2.0/24 or 2001:db8::/32'
      const max = IPV4.test(net) ? 32 : isIpv6(net) ? 128 : 0
      if (!max) return 'must be a network such as 192.0.2.0/24 or 2001:db8::/32'
      if (Number(len) > max) return `the prefix length must be at most ${max}`
      if (max === 128 && compressIpv6(net) !== net) return `must be written ${compressIpv6(net) ?? 'with hex groups only'}/${len}`
      return undefined
    }
    case 'domain':
      return HOST_DOMAIN.test(value) ? undefined : 'must be a domain name such as example.com'
    case 'email':
      return value.length <= 254 && EMAIL.test(value) ? undefined : 'must be an email address such as postmaster@example.com'
    default:
      return `kind must be one of ${WHITELIST_KINDS.join(', ')}`
  }
}

// ---- Canonical spelling ------------------------------------------------------------------------

/** An IPv6 address in RFC 5952 form (lower case, leading zeros dropped, longest zero run as ::), or undefined. */
export function compressIpv6(input: string): string | undefined {
  const s = input.toLowerCase()
  if (!isIpv6(s) || s.includes('.')) return undefined
  const [head = '', tail] = s.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  const hex = groups.map(g => Number.parseInt(g, 16).toString(16))
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && hex[j] === '0') j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j > i ? j : i + 1
  }
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

function ipBits(ip: string): bigint[] | undefined {
  if (IPV4.test(ip)) return ip.split('.').map(BigInt)
  const c = compressIpv6(ip)
  if (!c) return undefined
  const [head = '', tail] = c.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return groups.map(g => BigInt(`0x${g}`))
}

/**
 * What is stored for an entry as typed: lower case, an IPv6 address compressed, a CIDR whose
 * prefix covers one address stored as that address (kind ip), so duplicates are caught however
 * they were written. A CIDR with host bits set (192.0.2.10/24) is refused rather than guessed at:
 * Postfix's cidr tables skip such a line too, and the admin may have meant /32.
 */
export function canonicalWhitelistEntry(kind: string, raw: string): { kind: WhitelistKind, value: string } | { problem: string } {
  const value = raw.trim().toLowerCase()
  const basic = /[\s\0,#]/.test(value) ? 'must not contain blanks, commas or #' : undefined
  if (basic) return { problem: basic }
  if (kind === 'ip') {
    const ip = IPV4.test(value) ? value : compressIpv6(value)
    return ip ? { kind: 'ip', value: ip } : { problem: whitelistEntryProblem('ip', value)! }
  }
  if (kind === 'cidr') {
    const [net = '', len] = value.split('/')
    const problem = whitelistEntryProblem('cidr', value.replace(net, IPV4.test(net) ? net : compressIpv6(net) ?? net))
    if (problem) return { problem }
    const v4 = IPV4.test(net)
    const bits = ipBits(net)!
    const width = v4 ? 8n : 16n
    const prefix = BigInt(len!)
    const total = bits.reduce((acc, b) => (acc << width) | b, 0n)
    const size = v4 ? 32n : 128n
    const hostMask = (1n << (size - prefix)) - 1n
    const addr = v4 ? net : compressIpv6(net)!
    if (total & hostMask) return { problem: `has host bits set: the network of ${addr}/${len} is not ${addr}; write the network address or an ip entry` }
    if (prefix === size) return { kind: 'ip', value: addr }
    return { kind: 'cidr', value: `${addr}/${len}` }
  }
  const problem = whitelistEntryProblem(kind, value)
  return problem ? { problem } : { kind: kind as WhitelistKind, value }
}

/** POST /api/v1/antispam/whitelist: one entry; the output is canonical (see canonicalWhitelistEntry). */
export const whitelistCreateSchema = v.pipe(
  v.strictObject({
    kind: v.picklist(WHITELIST_KINDS, `must be one of ${WHITELIST_KINDS.join(', ')}`),
    value: v.pipe(v.string('must be a string'), v.minLength(1, 'is required'), v.maxLength(320, 'must be at most 320 characters')),
    comment: v.optional(v.pipe(v.string('must be a string'), v.trim(), v.maxLength(200, 'must be at most 200 characters')), ''),
  }),
  v.forward(v.check(
    input => !('problem' in canonicalWhitelistEntry(input.kind, input.value)),
    issue => (canonicalWhitelistEntry((issue.input as { kind: string }).kind, (issue.input as { value: string }).value) as { problem: string }).problem,
  ), ['value']),
  v.transform(input => ({ ...canonicalWhitelistEntry(input.kind, input.value) as { kind: WhitelistKind, value: string }, comment: input.comment })),
)
export type WhitelistCreate = v.InferOutput<typeof whitelistCreateSchema>
