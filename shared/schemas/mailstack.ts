import * as v from 'valibot'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const PORT_RE = /^[1-9]\d{0,4}$/
const isIpv6 = (s: string) => v.is(v.pipe(v.string(), v.ipv6()), s)
const isPort = (s: string) => PORT_RE.test(s) && Number(s) <= 65535

/** The eight 16-bit groups of an IPv6 address in hex-group form (no zone, no embedded IPv4). */
function ipv6Groups(s: string): number[] {
  const [head = '', tail] = s.split('::')
  const part = (x: string) => x ? x.split(':').map(g => Number.parseInt(g, 16)) : []
  const left = part(head)
  const right = tail === undefined ? [] : part(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * What is wrong with an address a daemon is to listen on, in words for the admin; undefined when it
 * is one both Postfix and Dovecot take as written. Tried on Postfix 3.7 and Dovecot 2.3:
 * - a zone index (`fe80::1%eth0`) and IPv4 written inside IPv6 (`::ffff:127.0.0.1`) pass doveconf
 *   with only a warning and are cut at the last colon (`listen = fe80:`, `::ffff`), and postconf
 *   refuses them in inet_interfaces ("no local interface found");
 * - IPv4-mapped IPv6 in any spelling is an IPv4 address: postconf refuses it in inet_interfaces;
 * - the unspecified address (`0.0.0.0`, `::`) is no interface (postconf: "no local interface found");
 *   every address has its own spelling instead: the port alone, `all`, `*`;
 * - nothing listens on a multicast or broadcast address;
 * - octets with leading zeros are octal to some parsers and decimal to others.
 */
export function listenAddressProblem(address: string): string | undefined {
  if (IPV4_RE.test(address)) {
    const [a = 0] = address.split('.').map(Number)
    if (address === '0.0.0.0') return '0.0.0.0 means every address, which has its own spelling here'
    if (address === '255.255.255.255' || (a >= 224 && a <= 239)) return `${address} is a multicast or broadcast address, which nothing can listen on`
    return undefined
  }
  if (address.includes('%')) return 'a scoped IPv6 address (with %interface) is not accepted by Postfix or Dovecot; use a global or unique-local address'
  if (address.includes(':') && address.includes('.')) return 'write IPv6 addresses in hex groups only; an IPv4 address goes in its own dotted form (127.0.0.1, not ::ffff:127.0.0.1)'
  if (!isIpv6(address)) return 'must be an IPv4 address in dotted form (192.0.2.10) or an IPv6 address (2001:db8::10)'
  const groups = ipv6Groups(address.toLowerCase())
  if (groups.every(g => g === 0)) return ':: means every address, which has its own spelling here'
  if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xFFFF) return `${address} is an IPv4-mapped address: write the IPv4 address in dotted form instead`
  if (groups[0]! >= 0xFF00) return `${address} is a multicast address, which nothing can listen on`
  return undefined
}

/** `0.0.0.0`, `::` or another spelling of the IPv6 unspecified address. */
const isUnspecified = (address: string): boolean =>
  address === '0.0.0.0' || (isIpv6(address) && !/[%.]/.test(address) && ipv6Groups(address).every(g => g === 0))

/** `587`, `192.0.2.10:587` or `[2001:db8::10]:587`: why a master.cf service name is refused, or undefined. */
export function serviceAddressProblem(s: string): string | undefined {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(s)
  const plain = /^([^:[\]]+):([^:]*)$/.exec(s)
  if (!bracketed && !plain) {
    if (isPort(s)) return undefined
    if (!s.includes('[') && s.split(':').length > 2) return 'an IPv6 address must be in brackets: [2001:db8::10]:587'
    return 'must be a port (587), IPv4-address:port (192.0.2.10:587) or [IPv6-address]:port ([2001:db8::10]:587)'
  }
  const [, host = '', port = ''] = (bracketed ?? plain)!
  if (!isPort(port)) return 'the port must be a number 1..65535 without leading zeros'
  if (plain && !IPV4_RE.test(host)) return host.includes('.') || !host.includes(':')
    ? 'the address must be an IPv4 address in dotted form (192.0.2.10); names are not accepted'
    : 'an IPv6 address must be in brackets: [2001:db8::10]:587'
  if (bracketed && IPV4_RE.test(host)) return 'an IPv4 address is written without brackets: 192.0.2.10:587'
  if (isUnspecified(host)) return `${bracketed ? `[${host}]` : host} means every address: write only the port (e.g. 587); inet_interfaces chooses the addresses`
  return listenAddressProblem(host)
}

/** A master.cf service name the daemons accept (see serviceAddressProblem). */
export const isServiceAddress = (s: string): boolean => serviceAddressProblem(s) === undefined

/** The port of a service address (`127.0.0.1:2525` → 2525). */
export const servicePort = (s: string): number => Number(s.slice(s.lastIndexOf(':') + 1))

const list = (s: string) => s.split(',').map(x => x.trim())
const normalizedList = v.transform((s: string) => list(s).join(', '))

/** A check whose message is the rule's own sentence for the value at hand. */
const explained = (problem: (s: string) => string | undefined) =>
  v.rawCheck<string>(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const message = problem(dataset.value)
    if (message) addIssue({ message })
  })

const listProblem = (entry: (address: string) => string | undefined) => (s: string): string | undefined => {
  const entries = list(s)
  for (const address of entries) {
    const problem = entry(address)
    if (problem) return entries.length > 1 ? `${address}: ${problem}` : problem
  }
  return undefined
}

// Dovecot's `listen`: `*` (every IPv4 address), `::` (every IPv6 address) or addresses.
const imapListenProblem = listProblem((address) => {
  if (address === '*' || address === '::') return undefined
  if (address === '0.0.0.0') return 'write * for every IPv4 address'
  if (address === '') return 'must not be empty: "*", "::" or IP addresses, comma-separated'
  return listenAddressProblem(address)
})

// Postfix's inet_interfaces: `all`, `loopback-only` or addresses of this machine's interfaces.
const inetInterfacesProblem = (s: string): string | undefined => {
  if (s === 'all' || s === 'loopback-only') return undefined
  return listProblem((address) => {
    if (address === '') return 'must be "all", "loopback-only" or IP addresses, comma-separated'
    return isUnspecified(address) ? `${address} is not an interface address: write all` : listenAddressProblem(address)
  })(s)
}

const serviceAddress = v.pipe(v.string('must be a string'), v.trim(), explained(serviceAddressProblem))
// A helper service: an explicit address and port (a bare port would mean every interface).
const loopbackService = v.pipe(serviceAddress, v.check(s => s.includes(':'), 'must be address:port, e.g. 127.0.0.1:10023'))
const port = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(65535, 'must be at most 65535'))

/** Where the daemons listen; the reconciler renders these into master.cf, main.cf and dovecot.conf. */
export const mailstackSettingsFields = {
  smtp_listen: serviceAddress,
  submission_listen: serviceAddress,
  /** Optional submission service without required STARTTLS (legacy devices); null = off. */
  submission_plain_listen: v.nullable(serviceAddress),
  // Dovecot's `listen`: `*` (all IPv4), `::` (all IPv6) or addresses, comma-separated.
  imap_listen: v.pipe(v.string('must be a string'), v.maxLength(500), explained(imapListenProblem), normalizedList),
  imap_port: port,
  imaps_port: port,
  inet_interfaces: v.pipe(v.string('must be a string'), v.maxLength(500), explained(inetInterfacesProblem), normalizedList),
  inet_protocols: v.picklist(['all', 'ipv4', 'ipv6', 'ipv4, ipv6'], 'must be all, ipv4, ipv6 or "ipv4, ipv6"'),
  auth_failure_delay: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be at least 0'), v.maxValue(60, 'must be at most 60')),
  // The anti-spam helpers Postfix talks to over TCP (each `address:port`, normally on loopback).
  greylist_listen: loopbackService,
  clamsmtp_listen: loopbackService,
  reinject_listen: loopbackService,
  spampd_listen: loopbackService,
}

export type MailstackSettingsRow = { [K in keyof typeof mailstackSettingsFields]: v.InferOutput<(typeof mailstackSettingsFields)[K]> }
export const MAILSTACK_SETTING_KEYS = Object.keys(mailstackSettingsFields) as (keyof MailstackSettingsRow)[]

/** Two services on one port would make one of the daemons fail to start after the reload. */
export function portClash(s: MailstackSettingsRow): string | undefined {
  const ports: [string, number][] = [
    ['smtp_listen', servicePort(s.smtp_listen)],
    ['submission_listen', servicePort(s.submission_listen)],
    ...(s.submission_plain_listen ? [['submission_plain_listen', servicePort(s.submission_plain_listen)] as [string, number]] : []),
    ['imap_port', s.imap_port],
    ['imaps_port', s.imaps_port],
    ['greylist_listen', servicePort(s.greylist_listen)],
    ['clamsmtp_listen', servicePort(s.clamsmtp_listen)],
    ['reinject_listen', servicePort(s.reinject_listen)],
    ['spampd_listen', servicePort(s.spampd_listen)],
  ]
  for (const [i, [name, p]] of ports.entries()) {
    const other = ports.slice(i + 1).find(([, q]) => q === p)
    if (other) return `${name} and ${other[0]} both use port ${p}`
  }
  return undefined
}

/**
 * postconf refuses an inet_interfaces address of a family inet_protocols leaves out
 * ("host not found: ::1" with inet_protocols = ipv4).
 */
export function addressFamilyClash(s: Pick<MailstackSettingsRow, 'inet_interfaces' | 'inet_protocols'>): string | undefined {
  if (s.inet_interfaces === 'all' || s.inet_interfaces === 'loopback-only' || s.inet_protocols === 'all') return undefined
  const v6 = s.inet_protocols.includes('ipv6')
  const v4 = s.inet_protocols.includes('ipv4')
  const wrong = list(s.inet_interfaces).find(a => a.includes(':') ? !v6 : !v4)
  return wrong && `inet_interfaces names ${wrong}, but inet_protocols (${s.inet_protocols}) leaves out its address family`
}

/** Every rule across fields, with the field to blame: what PUT /config/mailstack, a restore and the renderer all check. */
export function mailstackSettingsProblem(s: MailstackSettingsRow): { key: keyof MailstackSettingsRow, message: string } | undefined {
  const clash = portClash(s)
  if (clash) return { key: clash.split(' ')[0] as keyof MailstackSettingsRow, message: clash }
  const family = addressFamilyClash(s)
  if (family) return { key: 'inet_interfaces', message: family }
  return undefined
}

/** A complete settings row, with the cross-field rules: the renderer re-validates what it is given with it. */
export const mailstackSettingsSchema = v.pipe(
  v.strictObject(mailstackSettingsFields),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const problem = mailstackSettingsProblem(dataset.value)
    if (problem) addIssue({ message: problem.message, path: [{ type: 'object', origin: 'value', input: dataset.value, key: problem.key, value: dataset.value[problem.key] }] })
  }),
)

export const mailstackSettingsUpdateSchema = v.pipe(
  v.partial(v.strictObject(mailstackSettingsFields)),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)
