import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { antispamSettingsUpdateSchema, canonicalWhitelistEntry, compressIpv6, whitelistCreateSchema, whitelistEntryProblem } from '#shared/schemas/antispam'

describe('whitelist entries are stored in one canonical spelling', () => {
  it.each([
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
  ])('IPv6 %s → %s', (raw, want) => expect(compressIpv6(raw)).toBe(want))

  it('lower-cases, compresses, reduces a one-address CIDR to an ip entry and refuses host bits', () => {
    expect(canonicalWhitelistEntry('domain', 'Example.COM')).toEqual({ kind: 'domain', value: 'example.com' })
    expect(canonicalWhitelistEntry('ip', '2001:DB8::0:1')).toEqual({ kind: 'ip', value: '2001:db8::1' })
    expect(canonicalWhitelistEntry('cidr', '2001:db8:0::/32')).toEqual({ kind: 'cidr', value: '2001:db8::/32' })
    expect(canonicalWhitelistEntry('cidr', '192.0.2.7/32')).toEqual({ kind: 'ip', value: '192.0.2.7' })
    expect(canonicalWhitelistEntry('cidr', '192.0.2.10/24')).toMatchObject({ problem: expect.stringMatching(/host bits/) })
    expect(canonicalWhitelistEntry('cidr', '10.0.0.0/33')).toMatchObject({ problem: expect.stringMatching(/at most 32/) })
    expect(canonicalWhitelistEntry('email', 'postmaster')).toHaveProperty('problem')
    expect(canonicalWhitelistEntry('domain', 'a..b')).toHaveProperty('problem')
  })

  it('what is stored passes the renderer\'s check; a non-canonical spelling does not', () => {
    expect(whitelistEntryProblem('ip', '2001:db8::1')).toBeUndefined()
    expect(whitelistEntryProblem('ip', '2001:db8:0::1')).toMatch(/2001:db8::1/)
  })

  it('the create schema names the value field and returns the canonical entry', () => {
    expect(v.parse(whitelistCreateSchema, { kind: 'cidr', value: '198.51.100.0/24' })).toEqual({ kind: 'cidr', value: '198.51.100.0/24', comment: '' })
    const bad = v.safeParse(whitelistCreateSchema, { kind: 'cidr', value: '10.0.0.0/33' })
    expect(bad.success).toBe(false)
    expect(v.getDotPath(bad.issues![0])).toBe('value')
    expect(v.safeParse(whitelistCreateSchema, { kind: 'ip', value: '192.0.2.1', extra: 1 }).success).toBe(false)
  })
})

describe('anti-spam settings', () => {
  it.each([
    [{ dnsbl_zones: ['zen.spamhaus.org\nreject'] }],
    [{ dnsbl_zones: ['zen.spamhaus.org '] }],
    [{ dnsbl_zones: Array.from({ length: 21 }, (_, i) => `z${i}.example.org`) }],
    [{ greylist_enabled: 'true' }],
    [{ unknown: 1 }],
    [{}],
  ])('%j is refused', body => expect(v.safeParse(antispamSettingsUpdateSchema, body).success).toBe(false))

  it('takes any subset', () => {
    expect(v.parse(antispamSettingsUpdateSchema, { dnsbl_zones: ['Bl.Example.org'], greylist_delay: 60 })).toEqual({ dnsbl_zones: ['bl.example.org'], greylist_delay: 60 })
  })
})
