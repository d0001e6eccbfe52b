import postgres from 'postgres'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { api, createAlias, createDomain, createMailbox, expectErrorShape, uniqueDomain, type ListBody } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { Domain as DomainRecord } from '#shared/types/directory'
import type { Serialized } from '#shared/types/wire'

type Domain = Serialized<DomainRecord>

/** An id no test will ever reach (the largest int4). */
const MISSING_ID = 2_147_483_647
const BAD_IDS = ['abc', '0', '-1', '1.5', '2147483648', '99999999999999999999', '1e3']

const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
afterAll(() => sql.end({ timeout: 5 }))

const getDomain = (id: number | string) => api<Domain>(`/api/v1/domains/${id}`)
const postDomain = (body: unknown) => api<{ message: string, id: number }>('/api/v1/domains', { body })
const putDomain = (id: number | string, body: unknown) => api(`/api/v1/domains/${id}`, { method: 'PUT', body })
const deleteDomain = (id: number | string) => api(`/api/v1/domains/${id}`, { method: 'DELETE' })
const listDomains = (query: string) => api<ListBody<Domain>>(`/api/v1/domains?${query}`)

function expectDomainShape(d: Domain): void {
  expect(d).toEqual(expect.objectContaining({
    id: expect.any(Number),
    name: expect.any(String),
    active: expect.any(Boolean),
    created_at: expect.any(String),
  }))
  expect(Number.isNaN(Date.parse(d.created_at))).toBe(false)
}

async function countChildren(domainId: number): Promise<{ mailboxes: number, aliases: number }> {
  const [row] = await sql<{ mailboxes: number, aliases: number }[]>`
    SELECT (SELECT count(*)::int FROM mailboxes WHERE domain_id = ${domainId}) AS mailboxes,
           (SELECT count(*)::int FROM aliases WHERE domain_id = ${domainId}) AS aliases`
  return row!
}

describe('POST /api/v1/domains', () => {
  it('creates a domain: 201 with message and id, readable by GET', async () => {
    const name = uniqueDomain('create')
    const res = await postDomain({ name })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ message: expect.any(String), id: expect.any(Number) })
    const got = await getDomain(res.body.id)
    expect(got.status).toBe(200)
    expectDomainShape(got.body)
    expect(got.body).toMatchObject({ id: res.body.id, name, active: true })
  })

  it('stores the name lower-case and trimmed', async () => {
    const name = uniqueDomain('mixed')
    const res = await postDomain({ name: `  ${name.replace(/^m/, 'M').replace(/\.example$/, '.EXAMPLE')} ` })
    expect(res.status).toBe(201)
    expect((await getDomain(res.body.id)).body.name).toBe(name)
  })

  it('accepts active: false and a description', async () => {
    const res = await postDomain({ name: uniqueDomain('inactive'), active: false, description: 'parked' })
    expect(res.status).toBe(201)
    expect((await getDomain(res.body.id)).body).toMatchObject({ active: false, description: 'parked' })
  })

  const longName = `${`${'a'.repeat(60)}.`.repeat(5)}com`
  const invalidNames: [string, unknown][] = [
    ['no dot', 'localhost'],
    ['double dot', 'a..example.com'],
    ['leading hyphen', '-bad.example.com'],
    ['label ending in a hyphen', 'bad-.example.com'],
    ['a space inside', 'my domain.example'],
    ['a slash', 'a/b.example'],
    ['an underscore', 'a_b.example'],
    ['an @', 'user@example.com'],
    ['a trailing dot', 'example.com.'],
    ['a numeric TLD', 'example.123'],
    ['an empty string', ''],
    ['300 characters', longName],
    ['a label over 63 characters', `${'a'.repeat(64)}.example`],
    ['a number', 123],
    ['null', null],
    ['a boolean', true],
    ['an array', ['example.com']],
    ['an object', { name: 'example.com' }],
  ]
  it.each(invalidNames)('rejects a name with %s (400 naming `name`)', async (_label, name) => {
    expectValidation(await postDomain({ name }), 'name')
  })

  it('accepts a 253-character name and rejects a 254-character one', async () => {
    const first = `l${Date.now().toString(36)}${process.pid}`
    const name253 = `${first}.${`${'a'.repeat(62)}.`.repeat(3)}${'b'.repeat(63 - first.length)}`
    expect(name253).toHaveLength(253)
    const res = await postDomain({ name: name253 })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect((await getDomain(res.body.id)).body.name).toBe(name253)
    expectValidation(await postDomain({ name: `b${name253}` }), 'name')
  })

  it('accepts an IDN in its xn-- form and rejects the Unicode form', async () => {
    const tail = uniqueDomain('idn')
    expect((await postDomain({ name: `xn--bcher-kva.${tail}` })).status).toBe(201)
    expectValidation(await postDomain({ name: `bücher.${tail}` }), 'name')
  })

  it('lets exactly one of several concurrent creates of one name win; the rest get 409', async () => {
    const name = uniqueDomain('race')
    const results = await Promise.all(Array.from({ length: 6 }, () => postDomain({ name })))
    expect(results.filter(r => r.status === 201)).toHaveLength(1)
    for (const res of results.filter(r => r.status !== 201)) expectError(res, 409, 'DOMAIN_EXISTS')
  })

  it('rejects a missing name', async () => {
    expectValidation(await postDomain({}), 'name')
  })

  it('rejects unknown body keys', async () => {
    expectValidation(await postDomain({ name: uniqueDomain('unknown'), owner: 'bob' }), 'owner')
  })

  it('rejects a body that is not an object', async () => {
    expectValidation(await postDomain([uniqueDomain('array')]))
    expectValidation(await postDomain('example.com'))
  })

  it('rejects malformed JSON with 400 and an empty body with 400', async () => {
    expectValidation(await api('/api/v1/domains', { method: 'POST', raw: '{"name":', headers: { 'content-type': 'application/json' } }))
    expectValidation(await api('/api/v1/domains', { method: 'POST', headers: { 'content-type': 'application/json' } }))
  })

  it('rejects a non-JSON content type with 415 or 400', async () => {
    const res = await api('/api/v1/domains', { method: 'POST', raw: `name=${uniqueDomain('form')}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect([400, 415]).toContain(res.status)
    expectErrorShape(res.body)
  })

  it('rejects a duplicate name with 409 DOMAIN_EXISTS, also in another case', async () => {
    const d = await createDomain()
    expectError(await postDomain({ name: d.name }), 409, 'DOMAIN_EXISTS')
    expectError(await postDomain({ name: d.name.toUpperCase() }), 409, 'DOMAIN_EXISTS')
  })

  it('requires authentication', async () => {
    const res = await api('/api/v1/domains', { body: { name: uniqueDomain('anon') }, auth: false })
    expectError(res, 401, 'UNAUTHORIZED')
  })
})

describe('GET /api/v1/domains/:id', () => {
  it('returns the bare object', async () => {
    const d = await createDomain()
    const res = await getDomain(d.id)
    expect(res.status).toBe(200)
    expect(res.body).not.toHaveProperty('data')
    expectDomainShape(res.body)
    expect(res.body.name).toBe(d.name)
  })

  it('answers 404 DOMAIN_NOT_FOUND for an unknown id', async () => {
    expectError(await getDomain(MISSING_ID), 404, 'DOMAIN_NOT_FOUND')
  })

  // SPEC §2: "Every request body and query is validated; unknown or malformed input is a 400".
  it('rejects unknown query parameters on GET, PUT and DELETE of one domain', async () => {
    const d = await createDomain()
    expectValidation(await api(`/api/v1/domains/${d.id}?expand=mailboxes`), 'expand')
    expectValidation(await api(`/api/v1/domains/${d.id}?force=1`, { method: 'PUT', body: { active: false } }), 'force')
    expectValidation(await api(`/api/v1/domains/${d.id}?force=1`, { method: 'DELETE' }), 'force')
    expect((await getDomain(d.id)).body).toMatchObject({ id: d.id, active: true })
  })

  it.each(BAD_IDS)('answers 400 for the id %j (GET, PUT and DELETE)', async (id) => {
    expectValidation(await getDomain(id), 'id')
    expectValidation(await putDomain(id, { active: false }), 'id')
    expectValidation(await deleteDomain(id), 'id')
  })
})

describe('PUT /api/v1/domains/:id', () => {
  it('changes active and description', async () => {
    const d = await createDomain()
    const res = await putDomain(d.id, { active: false })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String) })
    expect((await getDomain(d.id)).body.active).toBe(false)
    expect((await putDomain(d.id, { active: true, description: 'main' })).status).toBe(200)
    expect((await getDomain(d.id)).body).toMatchObject({ name: d.name, active: true, description: 'main' })
  })

  it('rejects an empty body', async () => {
    const d = await createDomain()
    expectValidation(await putDomain(d.id, {}))
    expectValidation(await api(`/api/v1/domains/${d.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' } }))
  })

  it('rejects a new name: names are fixed', async () => {
    const d = await createDomain()
    expectValidation(await putDomain(d.id, { name: uniqueDomain('renamed') }), 'name')
    expectValidation(await putDomain(d.id, { name: uniqueDomain('renamed'), active: false }), 'name')
    expect((await getDomain(d.id)).body).toMatchObject({ name: d.name, active: true })
  })

  it('rejects unknown keys and wrong types', async () => {
    const d = await createDomain()
    expectValidation(await putDomain(d.id, { colour: 'blue' }), 'colour')
    expectValidation(await putDomain(d.id, { active: 'no' }), 'active')
    expectValidation(await putDomain(d.id, { active: null }), 'active')
  })

  it('answers 404 DOMAIN_NOT_FOUND for an unknown id', async () => {
    expectError(await putDomain(MISSING_ID, { active: false }), 404, 'DOMAIN_NOT_FOUND')
  })
})

describe('DELETE /api/v1/domains/:id', () => {
  it('deletes the domain: 200 with a message, then 404', async () => {
    const d = await createDomain()
    const res = await deleteDomain(d.id)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String) })
    expectError(await getDomain(d.id), 404, 'DOMAIN_NOT_FOUND')
    expectError(await deleteDomain(d.id), 404, 'DOMAIN_NOT_FOUND')
  })

  it('cascades to the domain\'s mailboxes and aliases, and only those', async () => {
    const d = await createDomain()
    const other = await createDomain()
    const mailboxes = [await createMailbox(d.id, 'alice'), await createMailbox(d.id, 'bob')]
    const aliases = [await createAlias(d.id, 'info'), await createAlias(d.id, `@${d.name}`)]
    const keptMailbox = await createMailbox(other.id, 'alice')
    const keptAlias = await createAlias(other.id, 'info')
    expect(await countChildren(d.id)).toEqual({ mailboxes: 2, aliases: 2 })

    expect((await deleteDomain(d.id)).status).toBe(200)

    for (const id of mailboxes) expectError(await api(`/api/v1/mailboxes/${id}`), 404, 'MAILBOX_NOT_FOUND')
    for (const id of aliases) expectError(await api(`/api/v1/aliases/${id}`), 404, 'ALIAS_NOT_FOUND')
    expect(await countChildren(d.id)).toEqual({ mailboxes: 0, aliases: 0 })
    const listed = await api<ListBody<unknown>>(`/api/v1/mailboxes?domain_id=${d.id}`)
    expect(listed.body.meta.total).toBe(0)

    expect((await api(`/api/v1/mailboxes/${keptMailbox}`)).status).toBe(200)
    expect((await api(`/api/v1/aliases/${keptAlias}`)).status).toBe(200)
    expect(await countChildren(other.id)).toEqual({ mailboxes: 1, aliases: 1 })
  })

  it('answers 404 DOMAIN_NOT_FOUND for an unknown id', async () => {
    expectError(await deleteDomain(MISSING_ID), 404, 'DOMAIN_NOT_FOUND')
  })
})

describe('GET /api/v1/domains', () => {
  it('lists domains in the list envelope with the same shape as GET one', async () => {
    const d = await createDomain()
    const res = await listDomains(`search=${d.name}`)
    expect(res.status).toBe(200)
    expect(res.body.meta).toEqual({ page: 1, limit: 50, total: 1, total_capped: false })
    expect(res.body.data).toHaveLength(1)
    expect(res.body.data[0]).toEqual((await getDomain(d.id)).body)
  })

  it('filters by ?search= on part of the name, case-insensitively', async () => {
    const token = `srch${Date.now().toString(36)}${process.pid}`
    const a = await createDomain(`a${token}.example`)
    const b = await createDomain(`mail.b${token}.example`)
    await createDomain(uniqueDomain('nomatch'))
    const res = await listDomains(`search=${token.toUpperCase()}`)
    expect(res.status).toBe(200)
    expect(res.body.meta.total).toBe(2)
    expect(res.body.data.map(d => d.id).sort()).toEqual([a.id, b.id].sort())
  })

  it('takes % and _ in ?search= literally', async () => {
    await createDomain()
    for (const term of ['%', '_', '%25', 'a%b', 'a_b']) {
      const res = await listDomains(`search=${encodeURIComponent(term)}`)
      expect(res.status).toBe(200)
      expect(res.body.meta.total, `search=${term}`).toBe(0)
      expect(res.body.data).toEqual([])
    }
  })

  it('rejects unknown query parameters', async () => {
    expectValidation(await listDomains('name=example.com'), 'name')
  })
})
