import * as v from 'valibot'
import { NON_EMPTY_MESSAGE, nonEmpty } from './common'

const isIp = (s: string) => v.is(v.pipe(v.string(), v.ip()), s)
const isIpv4 = (s: string) => v.is(v.pipe(v.string(), v.ipv4()), s)
const isPort = (s: string) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535

/** A master.cf service name: `587`, `127.0.0.1:587` or `[::1]:587` (Postfix binds the address given, or all). */
export function isServiceAddress(s: string): boolean {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(s)
  if (bracketed) return bracketed[1]!.includes(':') && isIp(bracketed[1]!) && isPort(bracketed[2]!)
  const [host, port, ...rest] = s.split(':')
  if (rest.length) return false
  return port === undefined ? isPort(host!) : isIpv4(host!) && isPort(port)
}

/** The port of a service address (`127.0.0.1:2525` → 2525). */
export const servicePort = (s: string): number => Number(s.slice(s.lastIndexOf(':') + 1))

const list = (s: string) => s.split(',').map(x => x.trim())
const normalizedList = v.transform((s: string) => list(s).join(', '))

const serviceAddress = v.pipe(v.string('must be a string'), v.trim(),
  v.check(isServiceAddress, 'must be a port, or address:port such as 127.0.0.1:587 or [::1]:587'))
const port = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(65535, 'must be at most 65535'))

/** Where the daemons listen; the reconciler renders these into master.cf, main.cf and dovecot.conf. */
export const mailstackSettingsFields = {
  smtp_listen: serviceAddress,
  submission_listen: serviceAddress,
  /** Optional submission service without required STARTTLS (legacy devices); null = off. */
  submission_plain_listen: v.nullable(serviceAddress),
  // Dovecot's `listen`: `*` (all IPv4), `::` (all IPv6) or addresses, comma-separated.
  imap_listen: v.pipe(v.string('must be a string'), v.maxLength(500),
    v.check(s => list(s).every(a => a === '*' || isIp(a)), 'must be "*", "::" or IP addresses, comma-separated'), normalizedList),
  imap_port: port,
  imaps_port: port,
  inet_interfaces: v.pipe(v.string('must be a string'), v.maxLength(500),
    v.check(s => s === 'all' || s === 'loopback-only' || list(s).every(isIp), 'must be "all", "loopback-only" or IP addresses, comma-separated'), normalizedList),
  inet_protocols: v.picklist(['all', 'ipv4', 'ipv6', 'ipv4, ipv6'], 'must be all, ipv4, ipv6 or "ipv4, ipv6"'),
  auth_failure_delay: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be at least 0'), v.maxValue(60, 'must be at most 60')),
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
  ]
  for (const [i, [name, p]] of ports.entries()) {
    const other = ports.slice(i + 1).find(([, q]) => q === p)
    if (other) return `${name} and ${other[0]} both use port ${p}`
  }
  return undefined
}

export const mailstackSettingsUpdateSchema = v.pipe(
  v.partial(v.strictObject(mailstackSettingsFields)),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)
