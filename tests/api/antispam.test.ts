import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { api } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { AntispamConfig, WhitelistEntry } from '#shared/types/antispam'

const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
afterAll(() => sql.end({ timeout: 5 }))

const MISSING_ID = 2_147_483_647
const getConfig = () => api<AntispamConfig>('/api/v1/config/antispam')
const putConfig = (body: unknown) => api<{ message: string }>('/api/v1/config/antispam', { method: 'PUT', body })
const listWhitelist = () => api<{ data: WhitelistEntry[] }>('/api/v1/antispam/whitelist')
const addWhitelist = (body: unknown) => api<{ message: string } & WhitelistEntry>('/api/v1/antispam/whitelist', { body })
const removeWhitelist = (id: number | string) => api<{ message: string }>(`/api/v1/antispam/whitelist/${id}`, { method: 'DELETE' })
const auditEntries = () => readFileSync(join(inject('serverRoot'), 'etc/backendside-mailpanel/audit.log'), 'utf8')
  .split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string, target: string, status: number })
const settingsRow = async () => (await sql`SELECT * FROM antispam_settings`)[0]
const whitelistCount = async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM spam_whitelist`)[0]!.n

describe('anti-spam settings', () => {
  it('GET: the documented defaults, and per feature whether it is wanted, installed and active', async () => {
    const res = await getConfig()
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      // The reply filter keeps Spamhaus' 127.255.255.x "query refused" answers from rejecting everyone.
      dnsbl_enabled: true, dnsbl_zones: ['zen.spamhaus.org=127.0.0.[2..11]'],
      greylist_enabled: true, greylist_delay: 300, greylist_max_age_days: 35, greylist_auto_whitelist: 5,
      spf_enabled: true, dmarc_enabled: true,
    })
    for (const [feature, binary] of [['dkim', 'opendkim'], ['dmarc', 'opendmarc'], ['spf', 'policyd-spf'], ['greylist', 'postgrey'], ['clamav', 'clamsmtpd'], ['spampd', 'spampd']] as const) {
      const state = res.body.features[feature]
      expect(state.binary, feature).toBe(binary)
      expect(state.packages.debian, feature).toMatch(/^[a-z0-9.+-]+(?: [a-z0-9.+-]+)*$/)
      expect(state.active, feature).toBe(state.enabled && state.installed)
    }
  })

  it('PUT changes only the fields given, canonicalises zones, and is audited', async () => {
    const before = await settingsRow()
    const res = await putConfig({ dnsbl_zones: ['ZEN.Spamhaus.org', 'bl.example.net=127.0.0.[2..11]'], greylist_delay: 60 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.message).toMatch(/reconcile/)
    const after = await getConfig()
    expect(after.body).toMatchObject({ dnsbl_zones: ['zen.spamhaus.org', 'bl.example.net=127.0.0.[2..11]'], greylist_delay: 60, greylist_max_age_days: before!.greylist_max_age_days })
    const off = await putConfig({ greylist_enabled: false })
    expect(off.status).toBe(200)
    expect((await getConfig()).body.features.greylist).toMatchObject({ enabled: false, active: false })
    await putConfig({ dnsbl_zones: before!.dnsbl_zones, greylist_delay: before!.greylist_delay, greylist_enabled: true })
    expect(auditEntries().some(e => e.action === 'PUT /api/v1/config/antispam' && e.status === 200)).toBe(true)
  })

  it('bad input is a 400 naming the field and writes nothing', async () => {
    const before = await settingsRow()
    const cases: [unknown, string][] = [
      [{ dnsbl_zones: ['zen.spamhaus.org\nsmtpd_banner = pwned'] }, 'dnsbl_zones'],
      [{ dnsbl_zones: ['zen spamhaus.org'] }, 'dnsbl_zones'],
      [{ dnsbl_zones: ['-bad.example'] }, 'dnsbl_zones'],
      [{ dnsbl_zones: ['zen.spamhaus.org=1.2.3.4'] }, 'dnsbl_zones'],
      [{ dnsbl_zones: ['a.example,b.example'] }, 'dnsbl_zones'],
      [{ dnsbl_zones: 'zen.spamhaus.org' }, 'dnsbl_zones'],
      [{ dnsbl_zones: Array.from({ length: 21 }, (_, i) => `z${i}.example.org`) }, 'dnsbl_zones'],
      [{ greylist_delay: 0 }, 'greylist_delay'],
      [{ greylist_delay: 1.5 }, 'greylist_delay'],
      [{ greylist_delay: '300' }, 'greylist_delay'],
      [{ greylist_max_age_days: 100_000 }, 'greylist_max_age_days'],
      [{ spf_enabled: 'yes' }, 'spf_enabled'],
      [{ dnsbl_enabled: true, unknown_switch: true }, 'unknown_switch'],
    ]
    for (const [body, field] of cases) expectValidation(await putConfig(body), field)
    expectValidation(await putConfig({}))
    expect(await settingsRow()).toEqual(before)
  })
})

describe('anti-spam whitelist', () => {
  it('adds each kind in its canonical spelling, lists and deletes them; a duplicate in any spelling is a 409', async () => {
    const start = await whitelistCount()
    const made: WhitelistEntry[] = []
    for (const [kind, value, stored, storedKind = kind] of [
      ['ip', '192.0.2.10', '192.0.2.10'],
      ['ip', '2001:DB8:0:0::10', '2001:db8::10'],
      ['cidr', '198.51.100.0/24', '198.51.100.0/24'],
      ['cidr', '203.0.113.7/32', '203.0.113.7', 'ip'],
      ['domain', 'Partner.Example', 'partner.example'],
      ['email', 'Boss@Partner.Example', 'boss@partner.example'],
    ] as const) {
      const res = await addWhitelist({ kind, value, comment: ' partner ' })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      expect(res.body).toMatchObject({ kind: storedKind, value: stored, comment: 'partner', id: expect.any(Number), created_at: expect.any(String) })
      made.push(res.body)
    }
    expectError(await addWhitelist({ kind: 'ip', value: '2001:db8::0:10' }), 409, 'WHITELIST_ENTRY_EXISTS')
    expectError(await addWhitelist({ kind: 'cidr', value: '192.0.2.10/32' }), 409, 'WHITELIST_ENTRY_EXISTS')
    expectError(await addWhitelist({ kind: 'domain', value: 'PARTNER.example' }), 409, 'WHITELIST_ENTRY_EXISTS')

    const listed = (await listWhitelist()).body.data
    for (const entry of made) expect(listed).toContainEqual(expect.objectContaining({ id: entry.id, kind: entry.kind, value: entry.value }))
    for (const entry of made) expect((await removeWhitelist(entry.id)).status).toBe(200)
    expectError(await removeWhitelist(made[0]!.id), 404, 'WHITELIST_ENTRY_NOT_FOUND')
    expect(await whitelistCount()).toBe(start)
    const entries = auditEntries()
    expect(entries.some(e => e.action === 'POST /api/v1/antispam/whitelist' && e.status === 201)).toBe(true)
    expect(entries.some(e => e.action === 'DELETE /api/v1/antispam/whitelist/:id' && e.status === 200)).toBe(true)
  })

  it('bad input is a 400 naming the field and stores nothing', async () => {
    const start = await whitelistCount()
    const cases: [unknown, string][] = [
      [{ kind: 'cidr', value: '10.0.0.0/33' }, 'value'],
      [{ kind: 'cidr', value: '2001:db8::/129' }, 'value'],
      [{ kind: 'cidr', value: '10.0.0.1/8' }, 'value'],
      [{ kind: 'cidr', value: '10.0.0.0' }, 'value'],
      [{ kind: 'ip', value: '256.1.1.1' }, 'value'],
      [{ kind: 'ip', value: 'fe80::1%eth0' }, 'value'],
      [{ kind: 'ip', value: '10.0.0.1\n10.0.0.2' }, 'value'],
      [{ kind: 'email', value: 'no-at-sign.example' }, 'value'],
      [{ kind: 'email', value: 'a@b@c.example' }, 'value'],
      [{ kind: 'domain', value: '../etc/passwd' }, 'value'],
      [{ kind: 'domain', value: 'a.example # comment' }, 'value'],
      [{ kind: 'domain', value: 'a.example,b.example' }, 'value'],
      [{ kind: 'domain', value: '' }, 'value'],
      [{ kind: 'domain', value: `${'a'.repeat(330)}.example` }, 'value'],
      [{ kind: 'regexp', value: '.*' }, 'kind'],
      [{ value: '192.0.2.1' }, 'kind'],
      [{ kind: 'ip', value: '192.0.2.1', comment: 'x'.repeat(201) }, 'comment'],
      [{ kind: 'ip', value: '192.0.2.1', id: 5 }, 'id'],
    ]
    for (const [body, field] of cases) expectValidation(await addWhitelist(body), field)
    expectValidation(await removeWhitelist('abc'), 'id')
    expectError(await removeWhitelist(MISSING_ID), 404, 'WHITELIST_ENTRY_NOT_FOUND')
    expect(await whitelistCount()).toBe(start)
  })
})
