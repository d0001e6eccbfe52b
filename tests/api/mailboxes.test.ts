import { verify } from '@node-rs/bcrypt'
import postgres from 'postgres'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { api, createDomain, createMailbox, type ApiResponse, type ListBody } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { Mailbox as MailboxRecord } from '#shared/types/directory'
import type { Serialized } from '#shared/types/wire'

type Mailbox = Serialized<MailboxRecord>

const REQUIRED_KEYS = ['id', 'domain_id', 'domain', 'username', 'address', 'name', 'quota_mb', 'active', 'created_at']
const ALLOWED_KEYS = [...REQUIRED_KEYS, 'updated_at']
const MISSING_ID = 2_147_483_647
const PASSWORD = 'first-password-1'

const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
afterAll(() => sql.end({ timeout: 5 }))

const getMailbox = (id: number | string) => api<Mailbox>(`/api/v1/mailboxes/${id}`)
const postMailbox = (body: unknown) => api<{ message: string, id: number }>('/api/v1/mailboxes', { body })
const putMailbox = (id: number | string, body: unknown) => api(`/api/v1/mailboxes/${id}`, { method: 'PUT', body })
const patchPassword = (id: number | string, body: unknown) => api(`/api/v1/mailboxes/${id}/password`, { method: 'PATCH', body })
const listMailboxes = (query: string) => api<ListBody<Mailbox>>(`/api/v1/mailboxes?${query}`)

/** Exactly the SPEC's mailbox fields (updated_at allowed), and nothing that looks like a secret. */
function expectMailboxShape(m: Mailbox): void {
  const keys = Object.keys(m)
  for (const key of REQUIRED_KEYS) expect(keys).toContain(key)
  for (const key of keys) expect(ALLOWED_KEYS).toContain(key)
  for (const key of keys) expect(key).not.toMatch(/pass|hash|secret/i)
  expect(JSON.stringify(m)).not.toMatch(/BLF-CRYPT|\$2[aby]\$/)
}

async function storedHash(id: number): Promise<string> {
  const [row] = await sql<{ password: string }[]>`SELECT password FROM mailboxes WHERE id = ${id}`
  if (!row) throw new Error(`mailbox ${id} has no row`)
  return row.password
}

const bare = (stored: string): string => stored.replace(/^\{BLF-CRYPT\}/, '')

async function createDomainWithQuota(quota: number): Promise<{ id: number, name: string }> {
  const d = await createDomain()
  expect((await api(`/api/v1/domains/${d.id}/config`, { method: 'PUT', body: { quota_mb: quota } })).status).toBe(200)
  return d
}

/** The server tier is shared with other files: read it until two reads around `read` agree. */
async function withStableServerQuota<T>(read: () => Promise<T>): Promise<{ server: number, value: T }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await api<{ quota_mb: number }>('/api/v1/config/server')
    const value = await read()
    const after = await api<{ quota_mb: number }>('/api/v1/config/server')
    if (before.body.quota_mb === after.body.quota_mb) return { server: after.body.quota_mb, value }
  }
  throw new Error('the server quota kept changing')
}

describe('POST /api/v1/mailboxes', () => {
  it('creates with a bare user name: 201, readable with the SPEC fields', async () => {
    const d = await createDomain()
    const res = await postMailbox({ domain_id: d.id, username: 'alice', password: PASSWORD, name: 'Alice A.' })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ message: expect.any(String), id: expect.any(Number) })
    const got = await getMailbox(res.body.id)
    expect(got.status).toBe(200)
    expectMailboxShape(got.body)
    expect(got.body).toMatchObject({ id: res.body.id, domain_id: d.id, domain: d.name, username: 'alice', address: `alice@${d.name}`, name: 'Alice A.', active: true })
    expect(Number.isNaN(Date.parse(got.body.created_at))).toBe(false)
  })

  it('creates with user@domain, storing just the user (lower-case)', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, `Bob@${d.name.toUpperCase()}`)
    expect((await getMailbox(id)).body).toMatchObject({ username: 'bob', address: `bob@${d.name}` })
    const [row] = await sql<{ username: string }[]>`SELECT username FROM mailboxes WHERE id = ${id}`
    expect(row!.username).toBe('bob')
  })

  it('accepts dots, hyphens, underscores and digits in the user name', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'jane.doe-2_x')
    expect((await getMailbox(id)).body.username).toBe('jane.doe-2_x')
  })

  it('accepts active: false and a quota', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'parked', PASSWORD, { active: false, quota_mb: 42 })
    expect((await getMailbox(id)).body).toMatchObject({ active: false, quota_mb: 42 })
  })

  it('rejects user@otherdomain with 400 naming `username`', async () => {
    const d = await createDomain()
    const other = await createDomain()
    expectValidation(await postMailbox({ domain_id: d.id, username: `carol@${other.name}`, password: PASSWORD }), 'username')
    expectValidation(await postMailbox({ domain_id: d.id, username: `carol@sub.${d.name}`, password: PASSWORD }), 'username')
    expect((await listMailboxes(`domain_id=${d.id}`)).body.meta.total).toBe(0)
  })

  const badUsernames: [string, unknown][] = [
    ['a plus (the recipient delimiter)', 'a+b'],
    ['a slash', 'a/b'],
    ['a path escape', '../etc'],
    ['two dots in a row', 'a..b'],
    ['a leading dot', '.ab'],
    ['a trailing dot', 'ab.'],
    ['a space', 'a b'],
    ['a quote', 'o\'brien'],
    ['two @', 'a@b@c.example'],
    ['a bare @domain', '@example.com'],
    ['an empty string', ''],
    ['65 characters', 'a'.repeat(65)],
    ['a number', 42],
    ['null', null],
  ]
  it.each(badUsernames)('rejects a username with %s (400 naming `username`)', async (_label, username) => {
    const d = await createDomain()
    expectValidation(await postMailbox({ domain_id: d.id, username, password: PASSWORD }), 'username')
  })

  it('accepts a 64-character user name', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'a'.repeat(64))
    expect((await getMailbox(id)).body.username).toHaveLength(64)
  })

  it('rejects a duplicate with 409 MAILBOX_EXISTS, also case-insensitively and as user@domain', async () => {
    const d = await createDomain()
    await createMailbox(d.id, 'bob')
    expectError(await postMailbox({ domain_id: d.id, username: 'bob', password: PASSWORD }), 409, 'MAILBOX_EXISTS')
    expectError(await postMailbox({ domain_id: d.id, username: 'Bob', password: PASSWORD }), 409, 'MAILBOX_EXISTS')
    expectError(await postMailbox({ domain_id: d.id, username: `BOB@${d.name}`, password: PASSWORD }), 409, 'MAILBOX_EXISTS')
  })

  it('lets exactly one of several concurrent creates of one address win; the rest get 409', async () => {
    const d = await createDomain()
    const results = await Promise.all(['race', 'RACE', `race@${d.name}`, 'Race'].map(username => postMailbox({ domain_id: d.id, username, password: PASSWORD })))
    expect(results.filter(r => r.status === 201)).toHaveLength(1)
    for (const res of results.filter(r => r.status !== 201)) expectError(res, 409, 'MAILBOX_EXISTS')
  })

  it('allows the same user name in another domain', async () => {
    const a = await createDomain()
    const b = await createDomain()
    await createMailbox(a.id, 'same')
    expect((await postMailbox({ domain_id: b.id, username: 'same', password: PASSWORD })).status).toBe(201)
  })

  it('answers 404 DOMAIN_NOT_FOUND for a missing domain', async () => {
    expectError(await postMailbox({ domain_id: MISSING_ID, username: 'nobody', password: PASSWORD }), 404, 'DOMAIN_NOT_FOUND')
  })

  it.each([0, -1, 1.5, '1', null, 2_147_483_648])('rejects domain_id %j with 400 naming `domain_id`', async (domainId) => {
    expectValidation(await postMailbox({ domain_id: domainId, username: 'x', password: PASSWORD }), 'domain_id')
  })

  it('rejects short, over-long (> 72 bytes), missing and non-string passwords', async () => {
    const d = await createDomain()
    for (const password of ['1234567', '', 'a'.repeat(73), 'é'.repeat(37), 12345678, null]) {
      expectValidation(await postMailbox({ domain_id: d.id, username: 'pw', password }), 'password')
    }
    expectValidation(await postMailbox({ domain_id: d.id, username: 'pw' }), 'password')
    expect((await listMailboxes(`domain_id=${d.id}`)).body.meta.total).toBe(0)
  })

  it('accepts passwords of exactly 8 characters and exactly 72 bytes', async () => {
    const d = await createDomain()
    for (const [username, password] of [['eight', '12345678'], ['ascii72', 'a'.repeat(72)], ['utf72', 'é'.repeat(36)]]) {
      const id = await createMailbox(d.id, username!, password)
      expect(await verify(password!, bare(await storedHash(id)))).toBe(true)
    }
  })

  it('rejects unknown body keys, e.g. a pre-hashed password', async () => {
    const d = await createDomain()
    expectValidation(await postMailbox({ domain_id: d.id, username: 'x', password: PASSWORD, password_hash: '{BLF-CRYPT}$2b$10$x' }), 'password_hash')
  })

  it('rejects a bad name, quota and active', async () => {
    const d = await createDomain()
    const base = { domain_id: d.id, username: 'x', password: PASSWORD }
    expectValidation(await postMailbox({ ...base, name: 'n'.repeat(256) }), 'name')
    expectValidation(await postMailbox({ ...base, quota_mb: -1 }), 'quota_mb')
    expectValidation(await postMailbox({ ...base, quota_mb: 1.5 }), 'quota_mb')
    expectValidation(await postMailbox({ ...base, quota_mb: '10' }), 'quota_mb')
    expectValidation(await postMailbox({ ...base, active: 'yes' }), 'active')
  })
})

describe('password storage', () => {
  it('stores {BLF-CRYPT} bcrypt cost 10 that verifies the password', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'hashme', PASSWORD)
    const stored = await storedHash(id)
    expect(stored).toMatch(/^\{BLF-CRYPT\}\$2[aby]\$10\$/)
    expect(await verify(PASSWORD, bare(stored))).toBe(true)
    expect(await verify('wrong-password', bare(stored))).toBe(false)
  })

  it('never returns a password or hash field: GET one, list, after PUT and after PATCH', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'secret', PASSWORD)
    expectMailboxShape((await getMailbox(id)).body)
    const list = await listMailboxes(`domain_id=${d.id}`)
    expect(list.body.data).toHaveLength(1)
    expectMailboxShape(list.body.data[0]!)
    const put = await putMailbox(id, { name: 'Secret Agent' })
    expect(put.body).toEqual({ message: expect.any(String) })
    expectMailboxShape((await getMailbox(id)).body)
    const patch = await patchPassword(id, { password: 'another-password' })
    expect(patch.body).toEqual({ message: expect.any(String) })
    expectMailboxShape((await getMailbox(id)).body)
    expect(JSON.stringify((await listMailboxes(`domain_id=${d.id}`)).body)).not.toMatch(/BLF-CRYPT|\$2[aby]\$/)
  })
})

describe('PATCH /api/v1/mailboxes/:id/password', () => {
  it('replaces the stored hash: the new password verifies, the old one no longer does', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'rotate', PASSWORD)
    const before = await storedHash(id)
    const res = await patchPassword(id, { password: 'second-password-2' })
    expect(res.status).toBe(200)
    const after = await storedHash(id)
    expect(after).not.toBe(before)
    expect(after).toMatch(/^\{BLF-CRYPT\}\$2[aby]\$10\$/)
    expect(await verify('second-password-2', bare(after))).toBe(true)
    expect(await verify(PASSWORD, bare(after))).toBe(false)
  })

  it('stores the password exactly as sent: no trimming, Unicode kept', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'spaces', '  pass word  ')
    expect(await verify('  pass word  ', bare(await storedHash(id)))).toBe(true)
    expect(await verify('pass word', bare(await storedHash(id)))).toBe(false)
    expect((await patchPassword(id, { password: 'pässwörd-ünï' })).status).toBe(200)
    expect(await verify('pässwörd-ünï', bare(await storedHash(id)))).toBe(true)
  })

  it('salts: setting the same password again yields a different hash', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'salty', PASSWORD)
    const before = await storedHash(id)
    expect((await patchPassword(id, { password: PASSWORD })).status).toBe(200)
    const after = await storedHash(id)
    expect(after).not.toBe(before)
    expect(await verify(PASSWORD, bare(after))).toBe(true)
  })

  it('rejects bad passwords and unknown keys without changing the hash', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'keep', PASSWORD)
    const before = await storedHash(id)
    for (const password of ['short', 'x'.repeat(73), null, 12345678]) expectValidation(await patchPassword(id, { password }), 'password')
    expectValidation(await patchPassword(id, {}), 'password')
    expectValidation(await patchPassword(id, { password: 'long-enough-1', old_password: PASSWORD }), 'old_password')
    expect(await storedHash(id)).toBe(before)
  })
})

describe('PUT /api/v1/mailboxes/:id', () => {
  it('changes name, quota_mb and active', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'editme')
    expect((await putMailbox(id, { name: 'Edited Name' })).status).toBe(200)
    expect((await putMailbox(id, { quota_mb: 321 })).status).toBe(200)
    expect((await putMailbox(id, { active: false })).status).toBe(200)
    expect((await getMailbox(id)).body).toMatchObject({ username: 'editme', name: 'Edited Name', quota_mb: 321, active: false })
    expect((await putMailbox(id, { name: '', quota_mb: 0, active: true })).status).toBe(200)
    expect((await getMailbox(id)).body).toMatchObject({ name: '', quota_mb: 0, active: true })
  })

  it('quota_mb null falls back to the domain quota', async () => {
    const d = await createDomainWithQuota(777)
    const id = await createMailbox(d.id, 'quota', PASSWORD, { quota_mb: 5 })
    expect((await getMailbox(id)).body.quota_mb).toBe(5)
    expect((await putMailbox(id, { quota_mb: null })).status).toBe(200)
    expect((await getMailbox(id)).body.quota_mb).toBe(777)
    const [row] = await sql<{ quota_mb: number | null }[]>`SELECT quota_mb FROM mailboxes WHERE id = ${id}`
    expect(row!.quota_mb).toBeNull()
  })

  it('quota_mb null with no domain quota falls back to the server quota', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'srvquota', PASSWORD, { quota_mb: 5 })
    expect((await putMailbox(id, { quota_mb: null })).status).toBe(200)
    const { server, value } = await withStableServerQuota(async () => (await getMailbox(id)).body.quota_mb)
    expect(value).toBe(server)
  })

  it('rejects an empty body, unknown keys and fixed fields', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'fixed')
    expectValidation(await putMailbox(id, {}))
    expectValidation(await putMailbox(id, { username: 'renamed' }), 'username')
    expectValidation(await putMailbox(id, { password: 'new-password-1' }), 'password')
    expectValidation(await putMailbox(id, { domain_id: d.id }), 'domain_id')
    expectValidation(await putMailbox(id, { quota_mb: -5 }), 'quota_mb')
    expectValidation(await putMailbox(id, { active: null }), 'active')
    expect((await getMailbox(id)).body).toMatchObject({ username: 'fixed', active: true })
  })
})

describe('DELETE /api/v1/mailboxes/:id', () => {
  it('deletes the mailbox and its row', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'gone')
    const res = await api(`/api/v1/mailboxes/${id}`, { method: 'DELETE' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String) })
    expectError(await getMailbox(id), 404, 'MAILBOX_NOT_FOUND')
    expect(await sql`SELECT 1 FROM mailboxes WHERE id = ${id}`).toHaveLength(0)
    expect((await getMailbox(id)).status).toBe(404)
    expect((await api(`/api/v1/domains/${d.id}`)).status).toBe(200)
  })
})

describe('missing and malformed ids', () => {
  const calls: [string, (id: number | string) => Promise<ApiResponse<unknown>>][] = [
    ['GET', id => getMailbox(id)],
    ['PUT', id => putMailbox(id, { active: false })],
    ['DELETE', id => api(`/api/v1/mailboxes/${id}`, { method: 'DELETE' })],
    ['PATCH password', id => patchPassword(id, { password: 'valid-password-1' })],
  ]

  it.each(calls)('%s of a missing id answers 404 MAILBOX_NOT_FOUND', async (_method, call) => {
    expectError(await call(MISSING_ID), 404, 'MAILBOX_NOT_FOUND')
  })

  it.each(calls)('%s of a deleted id answers 404 MAILBOX_NOT_FOUND', async (_method, call) => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'deleted')
    expect((await api(`/api/v1/mailboxes/${id}`, { method: 'DELETE' })).status).toBe(200)
    expectError(await call(id), 404, 'MAILBOX_NOT_FOUND')
  })

  it.each(calls)('%s of a malformed id answers 400', async (_method, call) => {
    for (const id of ['abc', '0', '-3', '2.5', '2147483648']) expectValidation(await call(id), 'id')
  })

  // SPEC §2: "Every request body and query is validated; unknown or malformed input is a 400".
  it('rejects unknown query parameters on the single-mailbox endpoints', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'query', PASSWORD)
    const before = await storedHash(id)
    expectValidation(await api(`/api/v1/mailboxes/${id}?fields=password`), 'fields')
    expectValidation(await api(`/api/v1/mailboxes/${id}/effective-config?tier=server`), 'tier')
    expectValidation(await api(`/api/v1/mailboxes/${id}/password?notify=1`, { method: 'PATCH', body: { password: 'changed-password' } }), 'notify')
    expect(await storedHash(id)).toBe(before)
  })
})

describe('GET /api/v1/mailboxes filters', () => {
  it('?domain_id= returns only that domain\'s mailboxes', async () => {
    const a = await createDomain()
    const b = await createDomain()
    const ids = [await createMailbox(a.id, 'one'), await createMailbox(a.id, 'two')]
    await createMailbox(b.id, 'one')
    const res = await listMailboxes(`domain_id=${a.id}`)
    expect(res.status).toBe(200)
    expect(res.body.meta.total).toBe(2)
    expect(res.body.data.map(m => m.id).sort()).toEqual(ids.sort())
    expect(res.body.data.every(m => m.domain_id === a.id && m.domain === a.name)).toBe(true)
  })

  it('?domain_id= of a domain without mailboxes is an empty page', async () => {
    const d = await createDomain()
    const res = await listMailboxes(`domain_id=${d.id}`)
    expect(res.body).toEqual({ data: [], meta: { page: 1, limit: 50, total: 0 } })
  })

  it.each(['0', 'abc', '-1', '1.5', '2147483648', ''])('rejects ?domain_id=%j', async (value) => {
    expectValidation(await listMailboxes(`domain_id=${value}`), 'domain_id')
  })

  it('?search= matches part of the address and the display name, case-insensitively', async () => {
    const d = await createDomain()
    const walrus = await createMailbox(d.id, 'walrus.w')
    const named = await createMailbox(d.id, 'plain', PASSWORD, { name: 'Zebra Keeper' })
    await createMailbox(d.id, 'other', PASSWORD, { name: 'Nobody' })
    const search = async (term: string) => {
      const res = await listMailboxes(`domain_id=${d.id}&search=${encodeURIComponent(term)}`)
      expect(res.status).toBe(200)
      return res.body.data.map(m => m.id).sort()
    }
    expect(await search('ALRUS')).toEqual([walrus])
    expect(await search(`s.w@${d.name}`)).toEqual([walrus])
    expect(await search('zebra k')).toEqual([named])
    expect(await search(d.name)).toHaveLength(3)
    expect(await search('no-such-thing')).toEqual([])
  })

  it('?search= works without ?domain_id= too', async () => {
    const d = await createDomain()
    const id = await createMailbox(d.id, 'findme')
    const res = await listMailboxes(`search=${encodeURIComponent(`findme@${d.name}`)}`)
    expect(res.body.meta.total).toBe(1)
    expect(res.body.data[0]!.id).toBe(id)
  })

  it('?search= takes % and _ literally', async () => {
    const d = await createDomain()
    const underscore = await createMailbox(d.id, 'under_score')
    await createMailbox(d.id, 'underxscore')
    const percent = await createMailbox(d.id, 'deal1', PASSWORD, { name: 'Save 50% now' })
    await createMailbox(d.id, 'deal2', PASSWORD, { name: 'Save 50 percent now' })
    const search = async (term: string) =>
      (await listMailboxes(`domain_id=${d.id}&search=${encodeURIComponent(term)}`)).body.data.map(m => m.id)
    expect(await search('under_s')).toEqual([underscore])
    expect(await search('50%')).toEqual([percent])
    expect(await search('50% n')).toEqual([percent])
    expect(await search('%')).toEqual([percent])
    expect(await search('\\')).toEqual([])
  })

  it('?search= finds non-ASCII names through the trigram index exactly as a scan would', async () => {
    const d = await createDomain()
    const jurgen = await createMailbox(d.id, 'jurgen', PASSWORD, { name: 'Jürgen Öztürk' })
    await createMailbox(d.id, 'jurgan', PASSWORD, { name: 'Jurgen Ozturk' })
    const search = async (term: string) =>
      (await listMailboxes(`domain_id=${d.id}&search=${encodeURIComponent(term)}`)).body.data.map(m => m.id)
    expect(await search('ürgen Ö')).toEqual([jurgen])
    expect(await search('ztürk')).toEqual([jurgen])
  })

  it('counts at most 1,000 matches of a search and says so; the pages past it still come back', async () => {
    const d = await createDomain()
    const hash = await storedHash(await createMailbox(d.id, 'bulk-seed'))
    await sql`INSERT INTO mailboxes (domain_id, username, password)
      SELECT ${d.id}, 'bulk' || i, ${hash} FROM generate_series(1, 1001) i`
    const many = await listMailboxes(`search=${encodeURIComponent(`@${d.name}`)}&limit=100`)
    expect(many.status).toBe(200)
    expect(many.body.meta).toEqual({ page: 1, limit: 100, total: 1000, total_capped: true })
    expect((await listMailboxes(`search=${encodeURIComponent(`@${d.name}`)}&limit=100&page=11`)).body.data).toHaveLength(2)
    const few = await listMailboxes(`domain_id=${d.id}&search=bulk100`)
    expect(few.body.meta).toEqual({ page: 1, limit: 50, total: 3, total_capped: false })
    expect((await listMailboxes(`domain_id=${d.id}`)).body.meta).toEqual({ page: 1, limit: 50, total: 1002 })
  })

  it('combines ?domain_id= and ?search=', async () => {
    const a = await createDomain()
    const b = await createDomain()
    const mine = await createMailbox(a.id, 'shared')
    await createMailbox(b.id, 'shared')
    const res = await listMailboxes(`domain_id=${a.id}&search=shared`)
    expect(res.body.meta.total).toBe(1)
    expect(res.body.data[0]!.id).toBe(mine)
  })

  it('rejects unknown query parameters', async () => {
    expectValidation(await listMailboxes('domain=example.com'), 'domain')
  })
})
