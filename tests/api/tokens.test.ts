import { createHash, randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api, expectErrorShape } from '../support/client'
import { expectSecurityHeaders } from '../support/expect'
import { LEGACY_API_KEY } from '../support/server'
import type { Token } from '#shared/types/access'
import type { Serialized } from '#shared/types/wire'

const TOKEN_PREFIX = 'bsmp_'
const MIN_ENTROPY_CHARS = 40
const MAX_NAME = 100
const MAX_PAGE_LIMIT = 500

interface Created {
  message: string
  id: number
  token: string
}

type TokenItem = Serialized<Token>

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex')
const uniqueName = (label: string) => `${label}-${process.pid}-${randomBytes(4).toString('hex')}`

async function mint(name = uniqueName('tok')): Promise<Created & { name: string }> {
  const res = await api<Created>('/api/v1/admin/tokens', { body: { name } })
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...res.body, name }
}

async function listTokens(): Promise<{ text: string, items: TokenItem[] }> {
  const res = await fetch(`${inject('serverUrl')}/api/v1/admin/tokens?limit=${MAX_PAGE_LIMIT}`, { headers: { 'x-api-key': LEGACY_API_KEY } })
  expect(res.status).toBe(200)
  const text = await res.text()
  return { text, items: (JSON.parse(text) as { data: TokenItem[] }).data }
}

const withToken = (token: string) => ({ headers: { 'x-api-key': token } })

describe('managed API tokens', () => {
  it('creates a token: 201 with message, id and a bsmp_ token of at least 40 random characters', async () => {
    const name = uniqueName('create')
    const res = await api<Created>('/api/v1/admin/tokens', { body: { name } })
    expect(res.status).toBe(201)
    expect(Object.keys(res.body).sort()).toEqual(['id', 'message', 'token'])
    expect(typeof res.body.message).toBe('string')
    expect(Number.isInteger(res.body.id)).toBe(true)
    expect(res.body.token.startsWith(TOKEN_PREFIX)).toBe(true)
    const random = res.body.token.slice(TOKEN_PREFIX.length)
    expect(random.length).toBeGreaterThanOrEqual(MIN_ENTROPY_CHARS)
    expect(random).toMatch(/^[\w-]+$/)
    // Two tokens never share a value.
    const other = await mint()
    expect(other.token).not.toBe(res.body.token)
  })

  it('accepts a 100-character name, trimmed', async () => {
    const name = 'n'.repeat(MAX_NAME)
    const created = await api<Created>('/api/v1/admin/tokens', { body: { name: `  ${name}  ` } })
    expect(created.status).toBe(201)
    const me = await api('/api/v1/me', withToken(created.body.token))
    expect(me.body).toMatchObject({ kind: 'token', name: `token:${name}` })
    await api(`/api/v1/admin/tokens/${created.body.id}`, { method: 'DELETE' })
  })

  it.each([
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a 101-character name', { name: 'n'.repeat(MAX_NAME + 1) }],
    ['no name', {}],
    ['a non-string name', { name: 42 }],
    ['an unknown key', { name: 'ok', scope: 'admin' }],
  ])('refuses %s with 400', async (_label, body) => {
    const res = await api('/api/v1/admin/tokens', { body })
    expect(res.status).toBe(400)
    expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
  })

  it('authenticates as X-API-Key: /me shows kind token and its name', async () => {
    const t = await mint()
    const me = await api('/api/v1/me', withToken(t.token))
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ kind: 'token', name: `token:${t.name}` })
  })

  it('can be used for mutations, like the legacy key', async () => {
    const t = await mint()
    const res = await api<{ id: number }>('/api/v1/domains', { body: { name: `${uniqueName('tokdom')}.example` }, ...withToken(t.token) })
    expect(res.status).toBe(201)
    expect((await api(`/api/v1/domains/${res.body.id}`, { method: 'DELETE', ...withToken(t.token) })).status).toBe(200)
  })

  it('lists tokens without ever exposing the token or its hash', async () => {
    const t = await mint()
    await api('/api/v1/me', withToken(t.token))
    const { text, items } = await listTokens()
    const item = items.find(i => i.id === t.id)
    expect(item).toBeDefined()
    expect(item).toMatchObject({ id: t.id, name: t.name })
    expect(Object.keys(item!)).toEqual(expect.arrayContaining(['id', 'name', 'created_at', 'last_used_at']))
    expect(text).not.toContain(t.token)
    expect(text).not.toContain(t.token.slice(TOKEN_PREFIX.length))
    expect(text).not.toContain(sha256Hex(t.token))
    expect(JSON.stringify(item)).not.toMatch(/hash|secret/i)
  })

  it('keeps last_used_at null until the first use, then sets it', async () => {
    const before = Date.now()
    const t = await mint()
    const fresh = (await listTokens()).items.find(i => i.id === t.id)!
    expect(fresh.last_used_at).toBeNull()
    expect(Date.parse(fresh.created_at)).toBeGreaterThanOrEqual(before - 5_000)

    expect((await api('/api/v1/me', withToken(t.token))).status).toBe(200)
    const used = (await listTokens()).items.find(i => i.id === t.id)!
    expect(used.last_used_at).not.toBeNull()
    expect(Date.parse(used.last_used_at!)).toBeGreaterThanOrEqual(Date.parse(fresh.created_at))
    expect(Date.parse(used.last_used_at!)).toBeLessThanOrEqual(Date.now() + 5_000)
  })

  it('revokes: the very next request with the token is a 401, and it leaves the list', async () => {
    const t = await mint()
    expect((await api('/api/v1/me', withToken(t.token))).status).toBe(200)
    const del = await api<{ message: string }>(`/api/v1/admin/tokens/${t.id}`, { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect(typeof del.body.message).toBe('string')
    const after = await api('/api/v1/me', withToken(t.token))
    expect(after.status).toBe(401)
    expect(expectErrorShape(after.body).code).toBe('UNAUTHORIZED')
    expect((await listTokens()).items.find(i => i.id === t.id)).toBeUndefined()
  })

  it('revoking one token leaves the others working', async () => {
    const [a, b] = [await mint(), await mint()]
    await api(`/api/v1/admin/tokens/${a.id}`, { method: 'DELETE' })
    expect((await api('/api/v1/me', withToken(a.token))).status).toBe(401)
    expect((await api('/api/v1/me', withToken(b.token))).status).toBe(200)
  })

  it('answers 404 TOKEN_NOT_FOUND for an unknown or already revoked id', async () => {
    const t = await mint()
    expect((await api(`/api/v1/admin/tokens/${t.id}`, { method: 'DELETE' })).status).toBe(200)
    const again = await api(`/api/v1/admin/tokens/${t.id}`, { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect(expectErrorShape(again.body).code).toBe('TOKEN_NOT_FOUND')
    const unknown = await api('/api/v1/admin/tokens/2147483647', { method: 'DELETE' })
    expect(unknown.status).toBe(404)
    expect(expectErrorShape(unknown.body).code).toBe('TOKEN_NOT_FOUND')
  })

  it('answers 400 for a malformed id', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
      const res = await api(`/api/v1/admin/tokens/${id}`, { method: 'DELETE' })
      expect(res.status, id).toBe(400)
      expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
    }
  })

  it('still accepts the legacy API_KEY', async () => {
    const me = await api('/api/v1/me')
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ kind: 'api_key', name: 'API_KEY' })
  })

  it('rejects a made-up bsmp_ token with 401 and the security headers', async () => {
    const fake = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const res = await api('/api/v1/me', withToken(fake))
    expect(res.status).toBe(401)
    expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED')
    expectSecurityHeaders(res.headers)
    // A real token with one character changed is just as unknown.
    const t = await mint()
    const last = t.token.at(-1) === 'A' ? 'B' : 'A'
    expect((await api('/api/v1/me', withToken(t.token.slice(0, -1) + last))).status).toBe(401)
  })

  it('needs authentication to list, create or revoke tokens', async () => {
    for (const [method, path] of [['GET', '/api/v1/admin/tokens'], ['POST', '/api/v1/admin/tokens'], ['DELETE', '/api/v1/admin/tokens/1']] as const) {
      const res = await api(path, { method, auth: false, ...(method === 'POST' ? { body: { name: 'x' } } : {}) })
      expect(res.status, `${method} ${path}`).toBe(401)
      expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED')
    }
  })

  it('refuses an out-of-range page or limit on the list', async () => {
    for (const query of ['limit=0', 'limit=501', 'page=0', 'page=x', 'sort=name']) {
      const res = await api(`/api/v1/admin/tokens?${query}`)
      expect(res.status, query).toBe(400)
      expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
    }
  })

  describe('storage', () => {
    let sql: postgres.Sql

    beforeAll(() => {
      sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
    })

    afterAll(async () => {
      await sql.end()
    })

    it('stores only the SHA-256 hex of the token', async () => {
      const t = await mint()
      const [row] = await sql<{ token_hash: string }[]>`SELECT token_hash FROM api_tokens WHERE id = ${t.id}`
      expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(row!.token_hash).toBe(sha256Hex(t.token))
    })

    it('has no column that holds the plaintext', async () => {
      const t = await mint()
      const columns = await sql<{ column_name: string }[]>`
        SELECT column_name FROM information_schema.columns WHERE table_name = 'api_tokens' AND table_schema = current_schema()`
      expect(columns.map(c => c.column_name)).not.toContain('token')
      const [row] = await sql<Record<string, unknown>[]>`SELECT * FROM api_tokens WHERE id = ${t.id}`
      for (const [column, value] of Object.entries(row!)) {
        expect(String(value), column).not.toContain(t.token)
        expect(String(value), column).not.toContain(t.token.slice(TOKEN_PREFIX.length))
      }
      // Nowhere in the whole table either.
      const all = await sql<Record<string, unknown>[]>`SELECT * FROM api_tokens`
      expect(JSON.stringify(all)).not.toContain(t.token.slice(TOKEN_PREFIX.length))
    })
  })
})
