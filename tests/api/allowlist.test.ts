import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectErrorShape, sendFrom, type ApiResponse, type SendOptions } from '../support/client'
import { expectError, expectSecurityHeaders } from '../support/expect'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

const SETTINGS_KEYS = ['admin_login_whitelist', 'api_key_whitelist', 'api_rate_limit', 'login_rate_limit', 'trusted_proxies', 'webhook_allowed_ranges']
const LISTS = ['admin_login_whitelist', 'api_key_whitelist', 'trusted_proxies', 'webhook_allowed_ranges'] as const

function expectIpNotAllowed(res: ApiResponse): void {
  expectError(res, 403, 'IP_NOT_ALLOWED')
  expectSecurityHeaders(res.headers)
}

const KEY = { 'x-api-key': LEGACY_API_KEY }

describe('IP allowlists', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let initial: ApiResponse

  /** Sends from a chosen source address to this file's server. */
  const send = (path: string, opts: SendOptions = {}) => sendFrom(path, { ...opts, baseUrl: server.url })
  const settings = (from = '127.0.0.2') => send('/api/v1/security/settings', { headers: KEY, from })
  const putSettings = (body: Record<string, unknown>, from = '127.0.0.1') =>
    send('/api/v1/security/settings', { method: 'PUT', body, headers: KEY, from })
  const me = (from: string, headers: Record<string, string> = KEY) => send('/api/v1/me', { headers, from })
  const login = (from: string) => send('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, from })

  beforeAll(async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
    initial = await settings('127.0.0.1')
    // Rate limiting is tested elsewhere; this file sends many requests from few addresses.
    await raiseRateLimits(server.url)
  })

  afterEach(async () => {
    // 127.0.0.2 is inside every list the tests set, so it can always reset them.
    const reset = await putSettings({ admin_login_whitelist: [], api_key_whitelist: [], trusted_proxies: [], webhook_allowed_ranges: [], confirm_lockout: true }, '127.0.0.2')
    expect(reset.status).toBe(200)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  describe('settings document', () => {
    it('GET returns exactly the SPEC keys, with the defaults on a fresh install', () => {
      expect(initial.status).toBe(200)
      expect(Object.keys(initial.body).sort()).toEqual(SETTINGS_KEYS)
      expect(initial.body).toEqual({ admin_login_whitelist: [], api_key_whitelist: [], login_rate_limit: 5, api_rate_limit: 60, trusted_proxies: [], webhook_allowed_ranges: [] })
    })

    it('PUT takes any subset and answers with a message', async () => {
      const put = await putSettings({ api_key_whitelist: ['127.0.0.0/8'] })
      expect(put.status).toBe(200)
      expect(typeof put.body.message).toBe('string')
      const got = await settings()
      expect(Object.keys(got.body).sort()).toEqual(SETTINGS_KEYS)
      expect(got.body).toMatchObject({ api_key_whitelist: ['127.0.0.0/8'], admin_login_whitelist: [], trusted_proxies: [] })
    })

    it('accepts CIDR and IPv6 entries in every list', async () => {
      const entries = ['127.0.0.0/30', '::1', '2001:db8::/32']
      const put = await putSettings({ admin_login_whitelist: entries, api_key_whitelist: entries, trusted_proxies: entries, webhook_allowed_ranges: entries })
      expect(put.status).toBe(200)
      const got = await settings()
      for (const list of LISTS) expect(got.body[list], list).toEqual(entries)
    })

    it.each(['300.1.1.1', '10.0.0.0/33', 'abc', '1.2.3.4/', '2001:db8::/129', '', 'example.com'])('refuses the entry %j with 400 naming the field', async (entry) => {
      for (const list of LISTS) {
        const res = await putSettings({ [list]: ['127.0.0.1', entry] })
        expect(res.status, list).toBe(400)
        const err = expectErrorShape(res.body)
        expect(err.code).toBe('VALIDATION_FAILED')
        expect(err.detail).toContain(list)
      }
      const got = await settings()
      for (const list of LISTS) expect(got.body[list], list).toEqual([])
    })

    it.each([
      ['a non-array list', { api_key_whitelist: '127.0.0.1' }],
      ['an unknown key', { ip_whitelist: ['127.0.0.1'] }],
      ['an empty body', {}],
      ['a zero limit', { api_rate_limit: 0 }],
      ['a fractional limit', { login_rate_limit: 1.5 }],
    ])('refuses %s with 400', async (_label, body) => {
      const res = await putSettings(body)
      expect(res.status).toBe(400)
      expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
    })
  })

  describe('api_key_whitelist', () => {
    it('refuses X-API-Key requests from an address outside the list with 403 IP_NOT_ALLOWED', async () => {
      expect((await putSettings({ api_key_whitelist: ['127.0.0.2'] })).status).toBe(200)
      expectIpNotAllowed(await me('127.0.0.1'))
      expect((await me('127.0.0.2')).status).toBe(200)
    })

    it('gates managed tokens too, and does so before checking the key', async () => {
      const created = await send('/api/v1/admin/tokens', { body: { name: 'allowlisted' }, headers: KEY, from: '127.0.0.1' })
      expect(created.status).toBe(201)
      const token = created.body.token as string
      expect((await putSettings({ api_key_whitelist: ['127.0.0.2'] })).status).toBe(200)
      expectIpNotAllowed(await me('127.0.0.1', { 'x-api-key': token }))
      expectIpNotAllowed(await me('127.0.0.1', { 'x-api-key': 'not-a-valid-key' }))
      expect((await me('127.0.0.2', { 'x-api-key': token })).body).toMatchObject({ kind: 'token', name: 'token:allowlisted' })
    })

    it('does not apply to JWT sessions (Bearer or cookie)', async () => {
      const signedIn = await login('127.0.0.1')
      expect(signedIn.status).toBe(200)
      const jwt = signedIn.body.token as string
      const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!
      expect((await putSettings({ api_key_whitelist: ['127.0.0.2'] })).status).toBe(200)
      const bearer = await me('127.0.0.1', { authorization: `Bearer ${jwt}` })
      expect(bearer.status).toBe(200)
      expect(bearer.body).toMatchObject({ kind: 'session', name: ADMIN_USER })
      expect((await me('127.0.0.1', { cookie })).status).toBe(200)
    })

    it('matches CIDR entries', async () => {
      expect((await putSettings({ api_key_whitelist: ['127.0.0.0/30'] })).status).toBe(200)
      expect((await me('127.0.0.1')).status).toBe(200)
      expect((await me('127.0.0.3')).status).toBe(200)
      expectIpNotAllowed(await me('127.0.0.4'))
    })

    it('is unrestricted again once emptied', async () => {
      expect((await putSettings({ api_key_whitelist: ['127.0.0.2'] })).status).toBe(200)
      expectIpNotAllowed(await me('127.0.0.1'))
      expect((await putSettings({ api_key_whitelist: [] }, '127.0.0.2')).status).toBe(200)
      for (const from of ['127.0.0.1', '127.0.0.9']) expect((await me(from)).status, from).toBe(200)
    })
  })

  describe('admin_login_whitelist', () => {
    it('refuses a list that locks the caller out unless confirm_lockout is true, changing nothing', async () => {
      const refused = await putSettings({ admin_login_whitelist: ['127.0.0.2'] })
      expect(refused.status).toBe(409)
      expect(expectErrorShape(refused.body).code).toBe('LOCKOUT_PREVENTED')
      expect((await settings()).body.admin_login_whitelist).toEqual([])
      expect((await login('127.0.0.1')).status).toBe(200)

      // A combined update is refused as a whole.
      const combined = await putSettings({ admin_login_whitelist: ['127.0.0.2'], api_key_whitelist: ['127.0.0.0/8'] })
      expect(combined.status).toBe(409)
      expect((await settings()).body).toMatchObject({ admin_login_whitelist: [], api_key_whitelist: [] })

      const confirmed = await putSettings({ admin_login_whitelist: ['127.0.0.2'], confirm_lockout: true })
      expect(confirmed.status).toBe(200)
      expect((await settings()).body.admin_login_whitelist).toEqual(['127.0.0.2'])
    })

    it('needs no confirmation when the caller stays inside the list', async () => {
      const put = await putSettings({ admin_login_whitelist: ['127.0.0.1', '127.0.0.2'] })
      expect(put.status).toBe(200)
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.0/30'] })).status).toBe(200)
    })

    it('refuses sign-in from an address outside the list with 403 IP_NOT_ALLOWED', async () => {
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.2'], confirm_lockout: true })).status).toBe(200)
      expectIpNotAllowed(await login('127.0.0.1'))
      expectIpNotAllowed(await send('/api/v1/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, from: '127.0.0.1' }))
      const ok = await login('127.0.0.2')
      expect(ok.status).toBe(200)
      expect(typeof ok.body.token).toBe('string')
    })

    it('answers 403 before looking at the credentials', async () => {
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.2'], confirm_lockout: true })).status).toBe(200)
      const res = await send('/auth/login', { body: { username: 'nobody', password: 'wrong' }, from: '127.0.0.1' })
      expectIpNotAllowed(res)
    })

    it('matches CIDR entries', async () => {
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.0/30', '::1', '2001:db8::/32'] })).status).toBe(200)
      expect((await login('127.0.0.3')).status).toBe(200)
      expectIpNotAllowed(await login('127.0.0.4'))
    })

    it('does not restrict X-API-Key requests', async () => {
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.2'], confirm_lockout: true })).status).toBe(200)
      expect((await me('127.0.0.1')).status).toBe(200)
    })

    it('is unrestricted again once emptied', async () => {
      expect((await putSettings({ admin_login_whitelist: ['127.0.0.2'], confirm_lockout: true })).status).toBe(200)
      expectIpNotAllowed(await login('127.0.0.1'))
      expect((await putSettings({ admin_login_whitelist: [] })).status).toBe(200)
      for (const from of ['127.0.0.1', '127.0.0.9']) expect((await login(from)).status, from).toBe(200)
    })
  })
})
