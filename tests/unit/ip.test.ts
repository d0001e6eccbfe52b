import { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { createEvent } from 'h3'
import { describe, expect, it } from 'vitest'
import { isIpOrCidr } from '#shared/schemas/security'
import { clientIp, IpList, normalizeIp } from '#server/utils/ip'

/** An h3 event as the server sees it: a socket peer address and optional X-Forwarded-For. */
function eventFrom(remoteAddress: string, forwardedFor?: string) {
  const req = new IncomingMessage({ remoteAddress } as Socket)
  if (forwardedFor !== undefined) req.headers['x-forwarded-for'] = forwardedFor
  return createEvent(req, new ServerResponse(req))
}

describe('normalizeIp', () => {
  it('unwraps IPv4-mapped IPv6 addresses', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeIp('::FFFF:10.1.2.3')).toBe('10.1.2.3')
  })

  it('lower-cases IPv6 and leaves IPv4 alone', () => {
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1')
    expect(normalizeIp('192.0.2.7')).toBe('192.0.2.7')
  })
})

describe('IpList', () => {
  it('allows everyone when empty, but includes no one', () => {
    const list = new IpList([])
    expect(list.empty).toBe(true)
    expect(list.allows('203.0.113.9')).toBe(true)
    expect(list.includes('203.0.113.9')).toBe(false)
  })

  it('matches single IPv4 addresses exactly', () => {
    const list = new IpList(['127.0.0.2'])
    expect(list.allows('127.0.0.2')).toBe(true)
    expect(list.allows('127.0.0.1')).toBe(false)
  })

  it('matches IPv4 CIDRs by prefix', () => {
    const list = new IpList(['127.0.0.0/30', '10.0.0.0/8'])
    for (const ip of ['127.0.0.0', '127.0.0.3', '10.255.1.2']) expect(list.allows(ip)).toBe(true)
    for (const ip of ['127.0.0.4', '11.0.0.1']) expect(list.allows(ip)).toBe(false)
  })

  it('matches IPv6 addresses and CIDRs', () => {
    const list = new IpList(['::1', '2001:db8::/32'])
    expect(list.allows('::1')).toBe(true)
    expect(list.allows('2001:db8:ffff::42')).toBe(true)
    expect(list.allows('2001:db9::1')).toBe(false)
    expect(list.allows('127.0.0.1')).toBe(false)
  })

  it('treats /0 as everything of that family', () => {
    expect(new IpList(['0.0.0.0/0']).allows('198.51.100.1')).toBe(true)
  })

  it('never allows something that is not an address when the list is non-empty', () => {
    const list = new IpList(['0.0.0.0/0'])
    for (const junk of ['', 'abc', '300.1.1.1', 'unknown']) expect(list.allows(junk)).toBe(false)
  })
})

describe('isIpOrCidr (the allowlist entry check)', () => {
  it('accepts IPv4/IPv6 addresses and CIDRs', () => {
    for (const ok of ['203.0.113.7', '203.0.113.0/24', '127.0.0.0/30', '0.0.0.0/0', '::1', '2001:db8::1', '2001:db8::/32', '::/0', '10.0.0.0/32', '2001:db8::/128']) {
      expect(isIpOrCidr(ok), ok).toBe(true)
    }
  })

  it('refuses malformed entries', () => {
    for (const bad of ['300.1.1.1', '10.0.0.0/33', 'abc', '1.2.3.4/', '', '/24', '1.2.3', '10.0.0.0/-1', '10.0.0.0/8/8', '2001:db8::/129', '10.0.0.0/ 8', 'example.com']) {
      expect(isIpOrCidr(bad), bad).toBe(false)
    }
  })
})

describe('clientIp', () => {
  const none = new IpList([])
  const local = new IpList(['127.0.0.1'])

  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(eventFrom('127.0.0.1', '198.51.100.7'), none)).toBe('127.0.0.1')
  })

  it('is the socket peer when the peer is not a trusted proxy', () => {
    expect(clientIp(eventFrom('127.0.0.9', '198.51.100.7'), local)).toBe('127.0.0.9')
  })

  it('normalizes an IPv4-mapped peer address', () => {
    expect(clientIp(eventFrom('::ffff:127.0.0.1'), none)).toBe('127.0.0.1')
    expect(clientIp(eventFrom('::ffff:127.0.0.1', '198.51.100.7'), local)).toBe('198.51.100.7')
  })

  it('takes the X-Forwarded-For address from a trusted proxy', () => {
    expect(clientIp(eventFrom('127.0.0.1', '198.51.100.7'), local)).toBe('198.51.100.7')
  })

  it('takes the right-most hop that is not itself a trusted proxy (the left ones are client-supplied)', () => {
    expect(clientIp(eventFrom('127.0.0.1', '203.0.113.66, 198.51.100.7'), local)).toBe('198.51.100.7')
    const chain = new IpList(['127.0.0.1', '10.0.0.0/8'])
    expect(clientIp(eventFrom('127.0.0.1', '203.0.113.66, 198.51.100.7, 10.1.1.1'), chain)).toBe('198.51.100.7')
  })

  it('falls back to the peer when a trusted proxy sends no usable X-Forwarded-For', () => {
    expect(clientIp(eventFrom('127.0.0.1'), local)).toBe('127.0.0.1')
    expect(clientIp(eventFrom('127.0.0.1', 'not-an-ip, also junk'), local)).toBe('127.0.0.1')
  })
})
