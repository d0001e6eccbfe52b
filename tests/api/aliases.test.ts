import { describe, expect, it } from 'vitest'
import { api, createDomain, type ApiResponse, type ListBody } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { Alias as AliasRecord } from '#shared/types/directory'
import type { Serialized } from '#shared/types/wire'

type Alias = Serialized<AliasRecord>

const MISSING_ID = 2_147_483_647
const DEST = ['postmaster@elsewhere.example']

const getAlias = (id: number | string) => api<Alias>(`/api/v1/aliases/${id}`)
const postAlias = (body: unknown) => api<{ message: string, id: number }>('/api/v1/aliases', { body })
const putAlias = (id: number | string, body: unknown) => api(`/api/v1/aliases/${id}`, { method: 'PUT', body })
const deleteAlias = (id: number | string) => api(`/api/v1/aliases/${id}`, { method: 'DELETE' })
const listAliases = (query: string) => api<ListBody<Alias>>(`/api/v1/aliases?${query}`)

async function createAlias(domainId: number, source: string, destinations: string[] = DEST, extra: Record<string, unknown> = {}): Promise<number> {
  const res = await postAlias({ domain_id: domainId, source, destinations, ...extra })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id
}

async function aliasIn(domainId: number, query = ''): Promise<number[]> {
  const res = await listAliases(`domain_id=${domainId}${query}`)
  expect(res.status).toBe(200)
  return res.body.data.map(a => a.id).sort((x, y) => x - y)
}

describe('POST /api/v1/aliases', () => {
  it('creates from a local part: 201, source reported as the full address', async () => {
    const d = await createDomain()
    const res = await postAlias({ domain_id: d.id, source: 'info', destinations: ['a@elsewhere.example', 'b@elsewhere.example'] })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ message: expect.any(String), id: expect.any(Number) })
    const got = await getAlias(res.body.id)
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({ id: res.body.id, domain_id: d.id, source: `info@${d.name}`, destinations: ['a@elsewhere.example', 'b@elsewhere.example'], active: true })
    expect(JSON.stringify(got.body)).not.toContain('"data"')
  })

  it('creates from a full address in the domain, normalizing case', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, `Sales@${d.name.toUpperCase()}`, ['Boss@Elsewhere.Example'])
    expect((await getAlias(id)).body).toMatchObject({ source: `sales@${d.name}`, destinations: ['boss@elsewhere.example'] })
  })

  it('creates a catch-all from @domain, reported as "@domain"', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, `@${d.name}`)
    expect((await getAlias(id)).body).toMatchObject({ domain_id: d.id, source: `@${d.name}` })
  })

  it('accepts active: false and sub-addressed, external destinations', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'list', ['user+tag@gmail.example', `local@${d.name}`], { active: false })
    expect((await getAlias(id)).body).toMatchObject({ active: false, destinations: ['user+tag@gmail.example', `local@${d.name}`] })
  })

  it('rejects a source in another domain with 400 naming `source`', async () => {
    const d = await createDomain()
    const other = await createDomain()
    expectValidation(await postAlias({ domain_id: d.id, source: `info@${other.name}`, destinations: DEST }), 'source')
    expectValidation(await postAlias({ domain_id: d.id, source: `@${other.name}`, destinations: DEST }), 'source')
    expect(await aliasIn(d.id)).toEqual([])
  })

  it.each<[string, unknown]>([
    ['a space', 'a b'],
    ['a plus', 'a+b'],
    ['a slash', 'a/b'],
    ['two dots', 'a..b'],
    ['two @', 'a@b@c.example'],
    ['a bare @', '@'],
    ['an empty string', ''],
    ['65 characters', 'a'.repeat(65)],
    ['a number', 7],
    ['null', null],
  ])('rejects a source with %s', async (_label, source) => {
    const d = await createDomain()
    expectValidation(await postAlias({ domain_id: d.id, source, destinations: DEST }), 'source')
  })

  it.each<[string, unknown]>([
    ['an empty list', []],
    ['a non-address', ['not-an-address']],
    ['an address without a domain', ['user@']],
    ['a bare domain', ['@elsewhere.example']],
    ['an address with a space', ['a b@elsewhere.example']],
    ['a string instead of a list', 'a@elsewhere.example'],
    ['a number in the list', [42]],
    ['null', null],
    ['1001 addresses', Array.from({ length: 1001 }, (_, i) => `u${i}@elsewhere.example`)],
  ])('rejects destinations that are %s', async (_label, destinations) => {
    const d = await createDomain()
    expectValidation(await postAlias({ domain_id: d.id, source: 'x', destinations }), 'destinations')
    expect(await aliasIn(d.id)).toEqual([])
  })

  it('accepts exactly 1000 destinations', async () => {
    const d = await createDomain()
    const destinations = Array.from({ length: 1000 }, (_, i) => `u${i}@elsewhere.example`)
    const id = await createAlias(d.id, 'big', destinations)
    expect((await getAlias(id)).body.destinations).toHaveLength(1000)
  })

  it('de-duplicates destinations (case-insensitively), keeping their order', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'dups', ['b@elsewhere.example', 'a@elsewhere.example', 'B@Elsewhere.Example', 'a@elsewhere.example'])
    expect((await getAlias(id)).body.destinations).toEqual(['b@elsewhere.example', 'a@elsewhere.example'])
  })

  it('rejects a duplicate source with 409 ALIAS_EXISTS, in any spelling', async () => {
    const d = await createDomain()
    await createAlias(d.id, 'info')
    await createAlias(d.id, `@${d.name}`)
    for (const source of ['info', 'INFO', `info@${d.name}`]) {
      expectError(await postAlias({ domain_id: d.id, source, destinations: DEST }), 409, 'ALIAS_EXISTS')
    }
    expectError(await postAlias({ domain_id: d.id, source: `@${d.name}`, destinations: DEST }), 409, 'ALIAS_EXISTS')
  })

  it('lets exactly one of several concurrent creates of one source win; the rest get 409', async () => {
    const d = await createDomain()
    const results = await Promise.all(['race', 'RACE', `race@${d.name}`, 'Race'].map(source => postAlias({ domain_id: d.id, source, destinations: DEST })))
    expect(results.filter(r => r.status === 201)).toHaveLength(1)
    for (const res of results.filter(r => r.status !== 201)) expectError(res, 409, 'ALIAS_EXISTS')
  })

  it('allows the same source in another domain', async () => {
    const a = await createDomain()
    const b = await createDomain()
    await createAlias(a.id, 'info')
    expect((await postAlias({ domain_id: b.id, source: 'info', destinations: DEST })).status).toBe(201)
  })

  it('answers 404 DOMAIN_NOT_FOUND for a missing domain', async () => {
    expectError(await postAlias({ domain_id: MISSING_ID, source: 'info', destinations: DEST }), 404, 'DOMAIN_NOT_FOUND')
  })

  it('rejects unknown keys, a bad domain_id and a bad active flag', async () => {
    const d = await createDomain()
    expectValidation(await postAlias({ domain_id: d.id, source: 'x', destinations: DEST, comment: 'hi' }), 'comment')
    expectValidation(await postAlias({ domain_id: 0, source: 'x', destinations: DEST }), 'domain_id')
    expectValidation(await postAlias({ domain_id: String(d.id), source: 'x', destinations: DEST }), 'domain_id')
    expectValidation(await postAlias({ source: 'x', destinations: DEST }), 'domain_id')
    expectValidation(await postAlias({ domain_id: d.id, source: 'x', destinations: DEST, active: 'yes' }), 'active')
  })
})

describe('PUT /api/v1/aliases/:id', () => {
  it('replaces the destinations', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'fwd', ['old@elsewhere.example'])
    const res = await putAlias(id, { destinations: ['new1@elsewhere.example', 'NEW2@elsewhere.example', 'new1@elsewhere.example'] })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String) })
    expect((await getAlias(id)).body).toMatchObject({ source: `fwd@${d.name}`, destinations: ['new1@elsewhere.example', 'new2@elsewhere.example'], active: true })
  })

  it('sets active, leaving the destinations alone', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'toggle')
    expect((await putAlias(id, { active: false })).status).toBe(200)
    expect((await getAlias(id)).body).toMatchObject({ active: false, destinations: DEST })
    expect((await putAlias(id, { active: true, destinations: ['x@elsewhere.example'] })).status).toBe(200)
    expect((await getAlias(id)).body).toMatchObject({ active: true, destinations: ['x@elsewhere.example'] })
  })

  it('rejects an empty body, bad destinations, unknown keys and a new source', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'strict')
    expectValidation(await putAlias(id, {}))
    expectValidation(await putAlias(id, { destinations: [] }), 'destinations')
    expectValidation(await putAlias(id, { destinations: ['nope'] }), 'destinations')
    expectValidation(await putAlias(id, { source: 'renamed' }), 'source')
    expectValidation(await putAlias(id, { domain_id: d.id }), 'domain_id')
    expectValidation(await putAlias(id, { active: null }), 'active')
    expect((await getAlias(id)).body).toMatchObject({ source: `strict@${d.name}`, destinations: DEST, active: true })
  })
})

describe('DELETE /api/v1/aliases/:id', () => {
  it('deletes the alias: 200, then 404', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'bye')
    const res = await deleteAlias(id)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String) })
    expectError(await getAlias(id), 404, 'ALIAS_NOT_FOUND')
    expectError(await deleteAlias(id), 404, 'ALIAS_NOT_FOUND')
    expect((await api(`/api/v1/domains/${d.id}`)).status).toBe(200)
  })

  it('is deleted with its domain', async () => {
    const d = await createDomain()
    const ids = [await createAlias(d.id, 'one'), await createAlias(d.id, `@${d.name}`)]
    expect((await api(`/api/v1/domains/${d.id}`, { method: 'DELETE' })).status).toBe(200)
    for (const id of ids) expectError(await getAlias(id), 404, 'ALIAS_NOT_FOUND')
    expect(await aliasIn(d.id)).toEqual([])
  })
})

describe('missing and malformed ids', () => {
  const calls: [string, (id: number | string) => Promise<ApiResponse<unknown>>][] = [
    ['GET', id => getAlias(id)],
    ['PUT', id => putAlias(id, { active: false })],
    ['DELETE', id => deleteAlias(id)],
  ]

  it.each(calls)('%s of a missing id answers 404 ALIAS_NOT_FOUND', async (_method, call) => {
    expectError(await call(MISSING_ID), 404, 'ALIAS_NOT_FOUND')
  })

  it.each(calls)('%s of a malformed id answers 400', async (_method, call) => {
    for (const id of ['abc', '0', '-3', '2.5', '2147483648']) expectValidation(await call(id), 'id')
  })

  // SPEC §2: "Every request body and query is validated; unknown or malformed input is a 400".
  it('rejects unknown query parameters on GET, PUT and DELETE of one alias', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'query')
    expectValidation(await api(`/api/v1/aliases/${id}?expand=1`), 'expand')
    expectValidation(await api(`/api/v1/aliases/${id}?force=1`, { method: 'PUT', body: { active: false } }), 'force')
    expectValidation(await api(`/api/v1/aliases/${id}?force=1`, { method: 'DELETE' }), 'force')
    expect((await getAlias(id)).body).toMatchObject({ id, active: true })
  })
})

describe('GET /api/v1/aliases filters', () => {
  it('?domain_id= returns only that domain\'s aliases, in the list envelope', async () => {
    const a = await createDomain()
    const b = await createDomain()
    const ids = [await createAlias(a.id, 'one'), await createAlias(a.id, 'two')]
    await createAlias(b.id, 'one')
    const res = await listAliases(`domain_id=${a.id}`)
    expect(res.status).toBe(200)
    expect(res.body.meta).toEqual({ page: 1, limit: 50, total: 2 })
    expect(res.body.data.map(x => x.id).sort((x, y) => x - y)).toEqual(ids.sort((x, y) => x - y))
    expect(res.body.data.every(x => x.domain_id === a.id)).toBe(true)
    expect(res.body.data.find(x => x.id === ids[0])).toEqual((await getAlias(ids[0]!)).body)
  })

  it('?search= matches the source or a destination', async () => {
    const d = await createDomain()
    const bySource = await createAlias(d.id, 'helpdesk')
    const byDest = await createAlias(d.id, 'ops', ['pager-duty@oncall.example'])
    const catchAll = await createAlias(d.id, `@${d.name}`)
    expect(await aliasIn(d.id, '&search=HELPD')).toEqual([bySource])
    expect(await aliasIn(d.id, '&search=pager-duty')).toEqual([byDest])
    expect(await aliasIn(d.id, `&search=${encodeURIComponent(`@${d.name}`)}`)).toEqual([bySource, byDest, catchAll])
    expect(await aliasIn(d.id, '&search=nothing-like-this')).toEqual([])
  })

  it('?search= matches within one destination, not across the boundary of two', async () => {
    const d = await createDomain()
    const id = await createAlias(d.id, 'pair', ['first@one.example', 'second@two.example'])
    expect(await aliasIn(d.id, '&search=second@two')).toEqual([id])
    expect(await aliasIn(d.id, `&search=${encodeURIComponent('one.example,second')}`)).toEqual([])
  })

  it('?search= takes % and _ literally', async () => {
    const d = await createDomain()
    const underscore = await createAlias(d.id, 'a_b')
    await createAlias(d.id, 'axb')
    expect(await aliasIn(d.id, '&search=a_b')).toEqual([underscore])
    expect(await aliasIn(d.id, `&search=${encodeURIComponent('%')}`)).toEqual([])
  })

  it('rejects a bad ?domain_id= and unknown query parameters', async () => {
    expectValidation(await listAliases('domain_id=abc'), 'domain_id')
    expectValidation(await listAliases('domain_id=0'), 'domain_id')
    expectValidation(await listAliases('source=info'), 'source')
  })
})
