import { describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { expectValidation } from '../support/expect'
import type { MailstackSettingsRow } from '#shared/schemas/mailstack'

const get = () => api<MailstackSettingsRow>('/api/v1/config/mailstack')
const put = (body: unknown) => api('/api/v1/config/mailstack', { method: 'PUT', body })

// Spellings Postfix or Dovecot would refuse or misread (see listenAddressProblem in
// shared/schemas/mailstack.ts): refused by the API, with a sentence that says what to write instead.
describe('PUT /api/v1/config/mailstack refuses listen addresses the daemons would not take', () => {
  it.each<[keyof MailstackSettingsRow, string, RegExp]>([
    ['smtp_listen', '[fe80::1%eth0]:25', /scoped IPv6 address/],
    ['smtp_listen', '0.0.0.0:25', /0\.0\.0\.0 means every address: write only the port/],
    ['submission_listen', '[::]:587', /\[::\] means every address: write only the port/],
    ['submission_listen', '[::ffff:127.0.0.1]:587', /hex groups only/],
    ['submission_listen', '[::ffff:7f00:1]:587', /IPv4-mapped address: write the IPv4 address/],
    ['submission_plain_listen', '::1:2587', /must be in brackets/],
    ['smtp_listen', 'localhost:25', /names are not accepted/],
    ['smtp_listen', '224.0.0.1:25', /multicast or broadcast/],
    ['imap_listen', 'fe80::1%eth0', /scoped IPv6 address/],
    ['imap_listen', '::ffff:127.0.0.1', /hex groups only/],
    ['imap_listen', '0.0.0.0', /write \* for every IPv4 address/],
    ['inet_interfaces', '0.0.0.0', /not an interface address: write all/],
    ['inet_interfaces', '::', /not an interface address: write all/],
    ['inet_interfaces', '::ffff:127.0.0.1', /hex groups only/],
  ])('%s = %j → 400 naming the field', async (field, value, message) => {
    const before = (await get()).body
    const err = expectValidation(await put({ [field]: value }), field)
    expect(err.detail).toMatch(message)
    expect((await get()).body).toEqual(before)
  })

  it('refuses an interface address of a family inet_protocols leaves out, and two services on one port', async () => {
    const before = (await get()).body
    expect(expectValidation(await put({ inet_interfaces: '::1', inet_protocols: 'ipv4' }), 'inet_interfaces').detail).toMatch(/leaves out its address family/)
    expect(expectValidation(await put({ smtp_listen: `127.0.0.1:${before.imaps_port}` })).detail).toMatch(/both use port/)
    expect((await get()).body).toEqual(before)
  })

  it('refuses an address none of this machine\'s interfaces has (postconf: "no local interface found")', async () => {
    const before = (await get()).body
    expect(expectValidation(await put({ inet_interfaces: '203.0.113.77' }), 'inet_interfaces').detail).toMatch(/203\.0\.113\.77 is not an address of this machine/)
    expect(expectValidation(await put({ smtp_listen: '[2001:db8::77]:25' }), 'smtp_listen').detail).toMatch(/2001:db8::77 is not an address of this machine/)
    expect(expectValidation(await put({ imap_listen: '127.0.0.1, 203.0.113.77' }), 'imap_listen').detail).toMatch(/203\.0\.113\.77 is not an address/)
    expect((await get()).body).toEqual(before)
  })

  it('accepts the spellings the daemons take, and keeps them as written', async () => {
    const before = (await get()).body
    const res = await put({ smtp_listen: '[::1]:2525', submission_listen: '127.0.0.1:2587', imap_listen: '127.0.0.1,::1', inet_interfaces: '127.0.0.1, ::1' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect((await get()).body).toMatchObject({ smtp_listen: '[::1]:2525', submission_listen: '127.0.0.1:2587', imap_listen: '127.0.0.1, ::1', inet_interfaces: '127.0.0.1, ::1' })
    const { smtp_listen, submission_listen, imap_listen, inet_interfaces } = before
    expect((await put({ smtp_listen, submission_listen, imap_listen, inet_interfaces })).status).toBe(200)
  })
})
