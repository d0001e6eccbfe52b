import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { mailstackSettingsSchema, mailstackSettingsUpdateSchema } from '#shared/schemas/mailstack'
import { hostAddresses } from '#server/mailstack/host-addresses'

const DEFAULTS = { smtp_listen: '25', submission_listen: '587', submission_plain_listen: null, imap_listen: '*, ::', imap_port: 143, imaps_port: 993, inet_interfaces: 'all', inet_protocols: 'all', auth_failure_delay: 2, greylist_listen: '127.0.0.1:10023', clamsmtp_listen: '127.0.0.1:10025', reinject_listen: '127.0.0.1:10026', spampd_listen: '127.0.0.1:10027' }
const problem = (change: Record<string, unknown>) => {
  const parsed = v.safeParse(mailstackSettingsUpdateSchema, change)
  return parsed.success ? undefined : parsed.issues[0].message
}

// What Postfix 3.7 and Dovecot 2.3 take as written (tried with postconf -n/-M, postfix check, doveconf -n).
describe('listen spellings', () => {
  it.each([
    ['smtp_listen', '25'], ['smtp_listen', '127.0.0.1:2525'], ['smtp_listen', '[::1]:2525'], ['smtp_listen', '[2001:db8::10]:25'],
    ['submission_listen', '192.0.2.10:587'], ['submission_plain_listen', '[fd00::2]:2587'],
    ['imap_listen', '*'], ['imap_listen', '::'], ['imap_listen', '*, ::'], ['imap_listen', '127.0.0.1, ::1'], ['imap_listen', '2001:DB8::1'],
    ['inet_interfaces', 'all'], ['inet_interfaces', 'loopback-only'], ['inet_interfaces', '127.0.0.1, ::1'],
  ])('%s = %j is accepted', (key, value) => {
    expect(problem({ [key]: value })).toBeUndefined()
  })

  it.each([
    ['smtp_listen', '[fe80::1%eth0]:25', /scoped IPv6 address/],
    ['smtp_listen', '0.0.0.0:25', /0\.0\.0\.0 means every address: write only the port/],
    ['submission_listen', '[::]:587', /\[::\] means every address/],
    ['submission_listen', '[0:0:0:0:0:0:0:0]:587', /means every address/],
    ['submission_listen', '[::ffff:127.0.0.1]:587', /hex groups only/],
    ['submission_listen', '[::ffff:7f00:1]:587', /IPv4-mapped address: write the IPv4 address/],
    ['smtp_listen', '[127.0.0.1]:25', /without brackets/],
    ['smtp_listen', '::1:25', /must be in brackets/],
    ['smtp_listen', 'localhost:25', /names are not accepted/],
    ['smtp_listen', '010.0.0.1:25', /IPv4 address in dotted form/],
    ['smtp_listen', '127.1:25', /IPv4 address in dotted form/],
    ['smtp_listen', '00025', /must be a port/],
    ['smtp_listen', '127.0.0.1:0', /port must be a number 1\.\.65535/],
    ['smtp_listen', '224.0.0.1:25', /multicast or broadcast/],
    ['smtp_listen', '[ff02::1]:25', /multicast/],
    ['imap_listen', 'fe80::1%eth0', /scoped IPv6 address/],
    ['imap_listen', '::ffff:127.0.0.1', /hex groups only/],
    ['imap_listen', '0.0.0.0', /write \* for every IPv4 address/],
    ['imap_listen', '127.0.0.1, ', /must not be empty/],
    ['imap_listen', 'localhost', /IPv4 address in dotted form .* or an IPv6 address/],
    ['inet_interfaces', '0.0.0.0', /not an interface address: write all/],
    ['inet_interfaces', '::', /not an interface address: write all/],
    ['inet_interfaces', '127.0.0.1, ::ffff:127.0.0.1', /^::ffff:127\.0\.0\.1: write IPv6 addresses in hex groups only/],
    ['inet_interfaces', 'fe80::fc:ff:fe00:1%eth0', /scoped/],
    ['inet_interfaces', 'ALL', /IPv4 address in dotted form/],
  ])('%s = %j is refused: %s', (key, value, message) => {
    expect(problem({ [key]: value })).toMatch(message)
  })

  it('the whole-row schema adds the rules across fields', () => {
    const row = (change: Record<string, unknown>) => {
      const parsed = v.safeParse(mailstackSettingsSchema, { ...DEFAULTS, ...change })
      return parsed.success ? undefined : `${v.getDotPath(parsed.issues[0])}: ${parsed.issues[0].message}`
    }
    expect(row({})).toBeUndefined()
    expect(row({ inet_interfaces: '::1', inet_protocols: 'ipv4' })).toMatch(/^inet_interfaces: .*leaves out its address family/)
    expect(row({ inet_interfaces: '127.0.0.1', inet_protocols: 'ipv6' })).toMatch(/^inet_interfaces: /)
    expect(row({ inet_interfaces: '127.0.0.1, ::1', inet_protocols: 'ipv4, ipv6' })).toBeUndefined()
    expect(row({ smtp_listen: '127.0.0.1:993' })).toMatch(/^smtp_listen: smtp_listen and imaps_port both use port 993/)
  })
})

describe('addresses of this machine', () => {
  const local = new Set(['127.0.0.1', '::1', '192.0.2.2'])
  const settings = (change: Record<string, unknown>) => ({ ...DEFAULTS, ...change }) as Parameters<typeof hostAddresses.notLocal>[0]

  it('compares canonical forms, and names the first address no interface has', () => {
    expect(hostAddresses.notLocal(settings({ smtp_listen: '[0:0:0:0:0:0:0:1]:25', inet_interfaces: '127.0.0.1, ::1', imap_listen: '*, ::' }), undefined, local)).toBeUndefined()
    expect(hostAddresses.notLocal(settings({ inet_interfaces: '127.0.0.2' }), undefined, local)).toMatchObject({ key: 'inet_interfaces', message: expect.stringMatching(/127\.0\.0\.2 is not an address of this machine/) })
    expect(hostAddresses.notLocal(settings({ submission_plain_listen: '[2001:DB8::1]:2587' }), undefined, local)?.key).toBe('submission_plain_listen')
  })

  it('checks only the keys asked about', () => {
    expect(hostAddresses.notLocal(settings({ smtp_listen: '203.0.113.7:25' }), ['auth_failure_delay'], local)).toBeUndefined()
  })
})
