import * as v from 'valibot'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'

// Anti-spam settings (one row) and whitelist entries: the API, a restore and the renderer check with these.

const flag = v.boolean('must be true or false')
const int = (min: number, max: number) => v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`))

/** A DNS zone of host-name labels, optionally with Postfix's reply filter: `zen.spamhaus.org=127.0.0.[2..11]`. */
export const DNSBL_ZONE_RE = /^(?=[^=]{1,253}(?:=|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:=127(?:\.(?:\d{1,3}|\[\d{1,3}(?:\.\.\d{1,3})?(?:;\d{1,3}(?:\.\.\d{1,3})?)*\])){3})?$/
export const MAX_DNSBL_ZONES = 20

export const dnsblZone = v.pipe(
  v.string('must be a string'),
  v.trim(),
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
      return IPV4.test(value) || isIpv6(value) ? undefined : 'must be an IPv4 address (192.0.2.10) or an IPv6 address (2001:db8::10)'
    case 'cidr': {
      const [net = '', len, ...more] = value.split('/')
      if (len === undefined || more.length || !/^\d{1,3}$/.test(len)) return 'must be a network such as 192.0.2.0/24 or 2001:db8::/32'
      const max = IPV4.test(net) ? 32 : isIpv6(net) ? 128 : 0
      if (!max) return 'must be a network such as 192.0.2.0/24 or 2001:db8::/32'
      if (Number(len) > max) return `the prefix length must be at most ${max}`
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
