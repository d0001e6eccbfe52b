import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { firewallUpdateSchema } from '#shared/schemas/security'
import { renderChain, ruleAdmits } from '#server/services/firewall/rules'

const PANEL = 8443
const parse = (body: unknown) => v.safeParse(firewallUpdateSchema(PANEL), body)

describe('the BSMP_FW chain as iptables-restore reads it', () => {
  const rules = [
    { port: 143, mode: 'restrict' as const, addresses: ['203.0.113.0/24', '2001:db8::/32'] },
    { port: 25, mode: 'block' as const, addresses: [] },
    { port: 587, mode: 'allow' as const, addresses: ['198.51.100.1'] },
  ]

  it('declares and flushes only its own chain, lets loopback and open connections through, then drops per port', () => {
    expect(renderChain(rules, 4).split('\n')).toEqual([
      '*filter',
      ':BSMP_FW - [0:0]',
      '-F BSMP_FW',
      '-A BSMP_FW -i lo -j RETURN',
      '-A BSMP_FW -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
      '-A BSMP_FW -p tcp -m tcp --dport 25 -j DROP',
      '-A BSMP_FW -s 203.0.113.0/24 -p tcp -m tcp --dport 143 -j RETURN',
      '-A BSMP_FW -p tcp -m tcp --dport 143 -j DROP',
      'COMMIT',
      '',
    ])
  })

  it('gives each family only its own addresses: a restricted port drops the other family entirely', () => {
    const v6 = renderChain(rules, 6)
    expect(v6).toContain('-A BSMP_FW -s 2001:db8::/32 -p tcp -m tcp --dport 143 -j RETURN')
    expect(v6).not.toContain('203.0.113.0/24')
    expect(renderChain([{ port: 993, mode: 'restrict', addresses: ['192.0.2.1'] }], 6)).toContain('-A BSMP_FW -p tcp -m tcp --dport 993 -j DROP')
  })

  it('never names INPUT or any chain but its own', () => {
    expect(renderChain(rules, 4).match(/-[AIDF] (\S+)/g)!.every(m => m.endsWith(' BSMP_FW'))).toBe(true)
  })
})

describe('whether a rule still admits the caller', () => {
  it('allow admits everyone, block no one but loopback, restrict the listed addresses and ranges', () => {
    expect(ruleAdmits(undefined, '192.0.2.9')).toBe(true)
    expect(ruleAdmits({ port: PANEL, mode: 'block', addresses: [] }, '192.0.2.9')).toBe(false)
    expect(ruleAdmits({ port: PANEL, mode: 'block', addresses: [] }, '127.0.0.1')).toBe(true)
    expect(ruleAdmits({ port: PANEL, mode: 'block', addresses: [] }, '::1')).toBe(true)
    const restrict = { port: PANEL, mode: 'restrict' as const, addresses: ['192.0.2.0/24', '2001:db8::5'] }
    expect(ruleAdmits(restrict, '192.0.2.9')).toBe(true)
    expect(ruleAdmits(restrict, '2001:db8::5')).toBe(true)
    expect(ruleAdmits(restrict, '198.51.100.1')).toBe(false)
    // The kernel matches an IPv4 client against iptables' entries only: an IPv4-mapped IPv6 entry is ip6tables'.
    expect(ruleAdmits({ port: PANEL, mode: 'restrict', addresses: ['::ffff:192.0.2.9', '::ffff:0:0/96'] }, '192.0.2.9')).toBe(false)
  })
})

describe('the firewall schema (API and page)', () => {
  it('takes the mail ports and the panel port, trimming and de-duplicating addresses', () => {
    const result = parse({ ports: [{ port: 25, mode: 'block' }, { port: PANEL, mode: 'restrict', addresses: [' 10.0.0.0/8 ', '10.0.0.0/8', '2001:DB8::1'] }] })
    expect(result.success && result.output.ports).toEqual([{ port: 25, mode: 'block', addresses: [] }, { port: PANEL, mode: 'restrict', addresses: ['10.0.0.0/8', '2001:db8::1'] }])
  })

  it.each([
    ['an unmanaged port', { ports: [{ port: 22, mode: 'block' }] }, 'must be one of the managed ports'],
    ['a bad CIDR', { ports: [{ port: 25, mode: 'restrict', addresses: ['10.0.0.0/33'] }] }, 'IPv4/IPv6 address or CIDR'],
    ['a zone id', { ports: [{ port: 25, mode: 'restrict', addresses: ['fe80::1%eth0'] }] }, 'IPv4/IPv6 address or CIDR'],
    ['restrict without addresses', { ports: [{ port: 25, mode: 'restrict', addresses: [] }] }, 'restrict needs at least one address'],
    ['an unknown mode', { ports: [{ port: 25, mode: 'reject' }] }, 'Invalid'],
    ['a port twice', { ports: [{ port: 25, mode: 'block' }, { port: 25, mode: 'allow' }] }, 'each port may appear only once'],
    ['too many addresses', { ports: [{ port: 25, mode: 'restrict', addresses: Array.from({ length: 101 }, (_, i) => `10.0.${i}.1`) }] }, 'at most 100 entries'],
  ])('refuses %s', (_, body, message) => {
    const result = parse(body)
    expect(result.success).toBe(false)
    expect(result.issues!.map(i => i.message).join('; ')).toContain(message)
  })
})
