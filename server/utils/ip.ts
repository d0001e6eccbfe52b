import { BlockList, isIP } from 'node:net'
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) → `127.0.0.1`. */
export function normalizeIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return (mapped ? mapped[1]! : address).toLowerCase()
}

/** A compiled allowlist; an empty list allows everyone. Entries were validated on write. */
export class IpList {
  private readonly blocks = new BlockList()
  readonly empty: boolean

  constructor(entries: string[]) {
    this.empty = entries.length === 0
    for (const entry of entries) {
      const [addr = '', prefix] = entry.split('/')
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
      if (prefix === undefined) this.blocks.addAddress(addr, family)
      else this.blocks.addSubnet(addr, Number(prefix), family)
    }
  }

  /** True if `ip` is listed (or the list is empty). */
  allows(ip: string): boolean {
    if (this.empty) return true
    return this.includes(ip)
  }

  includes(ip: string): boolean {
    const family = isIP(ip)
    if (!family) return false
    return this.blocks.check(ip, family === 6 ? 'ipv6' : 'ipv4')
  }
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy, in which case the
 * right-most X-Forwarded-For hop that is not itself a trusted proxy. Never trusts the header blindly.
 */
export function clientIp(event: H3Event, trustedProxies: IpList): string {
  const peer = normalizeIp(event.node.req.socket.remoteAddress ?? '')
  if (trustedProxies.empty || !trustedProxies.includes(peer)) return peer
  const hops = (getRequestHeader(event, 'x-forwarded-for') ?? '').split(',').map(h => normalizeIp(h.trim())).filter(h => isIP(h))
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trustedProxies.includes(hops[i]!)) return hops[i]!
  }
  return hops[0] ?? peer
}
