import { BlockList, isIP } from 'node:net'

/**
 * What kind of address an IP literal is, for deciding where the panel may open a connection on a
 * user's say-so (webhook receivers). Pure: no DNS, no settings. The ranges are the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890 and its updates) as of 2026, reduced to what a
 * webhook receiver can never legitimately be; everything else in 0.0.0.0/0 and 2000::/3 is public.
 *
 * Addresses that carry an IPv4 address inside IPv6 are judged by that IPv4 address, because that
 * is where the packets end up: IPv4-mapped `::ffff:a.b.c.d` (a dual-stack socket connects to
 * a.b.c.d itself), NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and 6to4 `2002:AABB:CCDD::/48` (RFC 3056).
 * Teredo and the other IETF protocol assignments in 2001::/23 are not receivers at all.
 *
 * Node's BlockList does the matching (it is in core, so no dependency to keep up with, and it
 * already compiles the allowlists in ./ip.ts); the tables are small enough to read here, which a
 * library's `range()` names would hide (ipaddr.js, for one, calls a NAT64 or 6to4 address of
 * 127.0.0.1 `rfc6052`/`6to4`, not loopback, and leaves the decision to the caller anyway).
 */
export type AddressClass
  = | 'public'
    | 'unspecified' // 0.0.0.0/8, :: — Linux connects 0.0.0.0 to the local host
    | 'loopback' // 127/8, ::1
    | 'private' // 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local), fec0::/10 (old site-local), 64:ff9b:1::/48 (local NAT64)
    | 'link-local' // 169.254/16 (cloud metadata lives at 169.254.169.254), fe80::/10
    | 'shared' // 100.64/10, carrier-grade NAT
    | 'multicast' // 224/4, ff00::/8
    | 'broadcast' // 255.255.255.255
    | 'reserved' // documentation, benchmarking, protocol assignments, future use, anything outside 2000::/3
    | 'invalid' // not an IP literal

export interface AddressInfo {
  /** The address as classified: lower case, brackets and a trailing zone removed. */
  address: string
  family: 4 | 6
  kind: AddressClass
  /** For the IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4): that address, which decided `kind`. */
  embeddedIpv4?: string
}

/** Classes a receiver may never have, whatever the admin allows: not one host's unicast address. */
export const NEVER_A_RECEIVER: ReadonlySet<AddressClass> = new Set(['invalid', 'unspecified', 'multicast', 'broadcast'])

const V4_TABLE: [string, number, AddressClass][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // the retired 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'], // before 240/4: the first match wins
  ['240.0.0.0', 4, 'reserved'],
]

// Checked after the embedded-IPv4 forms and after the 2000::/3 test (outside it: 'reserved').
const V6_TABLE: [string, number, AddressClass][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'private'],
  ['fc00::', 7, 'private'],
  ['fec0::', 10, 'private'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['2001::', 23, 'reserved'], // IETF protocol assignments: Teredo, benchmarking, ORCHID…
  ['2001:db8::', 32, 'reserved'], // documentation
  ['3fff::', 20, 'reserved'], // documentation (RFC 9637)
]

function compile(table: [string, number, AddressClass][], family: 'ipv4' | 'ipv6'): [BlockList, AddressClass][] {
  return table.map(([net, prefix, kind]) => {
    const list = new BlockList()
    list.addSubnet(net, prefix, family)
    return [list, kind]
  })
}

const V4 = compile(V4_TABLE, 'ipv4')
const V6 = compile(V6_TABLE, 'ipv6')
const GLOBAL_UNICAST_V6 = compile([['2000::', 3, 'public']], 'ipv6')[0]![0]

/** The 16 bytes of a valid IPv6 literal (as `net.isIP` accepts it, dotted-quad tail included). */
function ipv6Bytes(address: string): number[] {
  let text = address
  const tail: number[] = []
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number))
    text = `${text.slice(0, dotted.index)}0:0`
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined]
  const groups = (s: string) => (s ? s.split(':').map(g => Number.parseInt(g, 16)) : [])
  const left = groups(head)
  const right = rest === undefined ? [] : groups(rest)
  const words = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  const bytes = words.flatMap(w => [w >> 8, w & 0xFF])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

const dottedQuad = (b: number[]) => b.join('.')

/** The IPv4 address an IPv6 address hands its packets to, if it is one of the forms that do. */
function embeddedIpv4(bytes: number[]): string | undefined {
  const zero = (from: number, to: number) => bytes.slice(from, to).every(b => b === 0)
  // ::ffff:a.b.c.d (mapped)
  if (zero(0, 10) && bytes[10] === 0xFF && bytes[11] === 0xFF) return dottedQuad(bytes.slice(12))
  // 64:ff9b::a.b.c.d (the well-known NAT64 prefix)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xFF && bytes[3] === 0x9B && zero(4, 12)) return dottedQuad(bytes.slice(12))
  // 2002:AABB:CCDD::/48 (6to4: the relay forwards to a.b.c.d)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return dottedQuad(bytes.slice(2, 6))
  return undefined
}

function classifyV4(address: string): AddressClass {
  for (const [list, kind] of V4) {
    if (list.check(address, 'ipv4')) return kind
  }
  return 'public'
}

function classifyV6(address: string): AddressClass {
  for (const [list, kind] of V6) {
    if (list.check(address, 'ipv6')) return kind
  }
  return GLOBAL_UNICAST_V6.check(address, 'ipv6') ? 'public' : 'reserved'
}

/**
 * Classifies one IP literal: `127.0.0.1`, `::1`, `[::ffff:7f00:1]`. Only canonical IPv4 is an IPv4
 * literal here (`127.1` or `0x7f000001` are 'invalid'): hosts come from WHATWG URL, which already
 * turned those spellings into dotted quads, or from DNS answers.
 */
export function classifyAddress(input: string): AddressInfo {
  const address = input.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')
  const family = isIP(address)
  if (family === 4) return { address, family, kind: classifyV4(address) }
  if (family !== 6) return { address, family: 4, kind: 'invalid' }
  const inner = embeddedIpv4(ipv6Bytes(address))
  if (inner !== undefined) return { address, family, kind: classifyV4(inner), embeddedIpv4: inner }
  return { address, family, kind: classifyV6(address) }
}

/** True for host names that name this machine by definition (RFC 6761), whatever DNS says. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '')
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain'
}
