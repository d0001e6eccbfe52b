import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, sendFrom, type ApiResponse, type SendOptions } from '../support/client'
import { expectError, expectSecurityHeaders } from '../support/expect'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'

// Defaults under test (SPEC §4): sign-in 5/min/IP, API 60/min/IP.
const LOGIN_LIMIT = 5
const API_LIMIT = 60
const TUNED_API_LIMIT = 3

function expectRateLimited(res: ApiResponse): void {
  expectError(res, 429, 'RATE_LIMITED')
  expect(res.headers.get('retry-after')).toBe('60')
}

const KEY = { 'x-api-key': LEGACY_API_KEY }

describe('per-IP rate limits at the default settings', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  /** Sends from a chosen source address to this file's server. */
  const send = (path: string, opts: SendOptions = {}) => sendFrom(path, { ...opts, baseUrl: server.url })
  const login = (password: string, from?: string) => send('/auth/login', { body: { username: ADMIN_USER, password }, from })
  const me = (from?: string, headers: Record<string, string> = {}) => send('/api/v1/me', { headers: { ...KEY, ...headers }, from })

  beforeAll(async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  describe('sign-in', () => {
    let sixth: ApiResponse

    it('lets 5 sign-in attempts a minute through, failed or successful, and refuses the 6th with 429', async () => {
      const statuses: number[] = []
      for (const password of ['wrong-1', 'wrong-2', 'wrong-3', ADMIN_PASSWORD, ADMIN_PASSWORD]) statuses.push((await login(password, '127.0.0.1')).status)
      expect(statuses).toEqual([401, 401, 401, 200, 200])
      expect(statuses).toHaveLength(LOGIN_LIMIT)
      sixth = await login(ADMIN_PASSWORD, '127.0.0.1')
      expectRateLimited(sixth)
    })

    it('counts /api/v1/auth/login against the same bucket', async () => {
      expectRateLimited(await send('/api/v1/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, from: '127.0.0.1' }))
    })

    it('sends the security headers on the 429', () => {
      expectSecurityHeaders(sixth.headers)
    })

    describe('percent-encoded paths (which the router decodes and still sends to sign-in)', () => {
      const from = '127.0.0.11'

      beforeAll(async () => {
        for (let i = 0; i < LOGIN_LIMIT; i++) await login('wrong', from)
        expectRateLimited(await login('wrong', from))
      })

      it.each([
        ['/auth/logi%6e'],
        ['/%61uth/login'],
        ['/api/v1/auth/logi%6e'],
      ])('cannot bypass the sign-in limit with %s', async (path) => {
        const res = await send(path, { body: { username: ADMIN_USER, password: 'guess' }, from })
        expectRateLimited(res)
      })
    })

    it('limits per IP: another address still signs in', async () => {
      const res = await login(ADMIN_PASSWORD, '127.0.0.2')
      expect(res.status).toBe(200)
      expect(typeof res.body.token).toBe('string')
    })

    it('keeps the sign-in and API buckets apart', async () => {
      expect((await me('127.0.0.3')).status).toBe(200)
    })
  })

  describe('password change (it checks the admin password like a sign-in)', () => {
    const FROM = '127.0.0.30'
    const change = (current: string) =>
      send('/api/v1/security/admin-password', { method: 'PUT', body: { current_password: current, new_password: 'never-applied-passphrase' }, headers: KEY, from: FROM })

    it('takes from the sign-in bucket: 5 guesses at current_password a minute, the 6th is 429 with Retry-After', async () => {
      const statuses: number[] = []
      for (let i = 0; i < LOGIN_LIMIT; i++) statuses.push((await change(`wrong-guess-${i}`)).status)
      expect(statuses).toEqual(Array(LOGIN_LIMIT).fill(403))
      expectRateLimited(await change('wrong-guess-6'))
    })

    it('shares that bucket with sign-in from the same address', async () => {
      expectRateLimited(await login(ADMIN_PASSWORD, FROM))
    })
  })

  describe('API', () => {
    let limited: ApiResponse

    it('lets 60 API requests a minute through and refuses the 61st with 429', async () => {
      // Sent at once: the bucket refills one token a second at 60/min.
      const burst = await Promise.all(Array.from({ length: API_LIMIT }, () => api('/api/v1/me', { baseUrl: server.url })))
      expect(burst.map(r => r.status)).toEqual(Array(API_LIMIT).fill(200))
      limited = await api('/api/v1/me', { baseUrl: server.url })
      expectRateLimited(limited)
    })

    it('sends the security headers on the 429', () => {
      expectSecurityHeaders(limited.headers)
    })

    it('limits every /api/v1 path, authenticated or not, with the same bucket', async () => {
      expectRateLimited(await api('/api/v1/domains', { baseUrl: server.url, auth: false }))
      expectRateLimited(await api('/api/v1/domains', { baseUrl: server.url, body: { name: 'limited.example' } }))
    })

    it.each([
      ['/%61pi/v1/me'],
      ['/api/v%31/me'],
    ])('cannot be bypassed with the percent-encoded path %s (which still reaches the API)', async (path) => {
      expectRateLimited(await api(path, { baseUrl: server.url }))
    })

    it('limits per IP: 127.0.0.2 still gets through while 127.0.0.1 is limited', async () => {
      expect((await me('127.0.0.2')).status).toBe(200)
      expectRateLimited(await me('127.0.0.1'))
    })

    it('does not let a spoofed X-Forwarded-For from an untrusted peer escape the limit', async () => {
      expectRateLimited(await me('127.0.0.1', { 'x-forwarded-for': '203.0.113.50' }))
      expectRateLimited(await me('127.0.0.1', { 'x-forwarded-for': '203.0.113.51, 203.0.113.52', 'x-real-ip': '203.0.113.53' }))
    })
  })

  describe('tuning', () => {
    it('applies api_rate_limit from the security settings at once', async () => {
      const put = await send('/api/v1/security/settings', { method: 'PUT', body: { api_rate_limit: TUNED_API_LIMIT }, headers: KEY, from: '127.0.0.4' })
      expect(put.status).toBe(200)
      const got = await send('/api/v1/security/settings', { headers: KEY, from: '127.0.0.5' })
      expect(got.body).toMatchObject({ api_rate_limit: TUNED_API_LIMIT, login_rate_limit: LOGIN_LIMIT })

      const statuses: number[] = []
      for (let i = 0; i <= TUNED_API_LIMIT; i++) statuses.push((await me('127.0.0.6')).status)
      expect(statuses).toEqual([200, 200, 200, 429])
    })

    it('still ignores X-Forwarded-For from an untrusted peer at the new limit', async () => {
      const res = await me('127.0.0.6', { 'x-forwarded-for': '198.51.100.99' })
      expectRateLimited(res)
    })
  })

  describe('signed-in dashboard sessions', () => {
    // After the tuning above: api_rate_limit 3, so a verified session gets 5 × 3 (server/middleware/rate-limit.ts).
    const SESSION_LIMIT = 5 * TUNED_API_LIMIT
    const from = '127.0.0.9'
    let cookie = ''

    beforeAll(async () => {
      const res = await login(ADMIN_PASSWORD, from)
      expect(res.status).toBe(200)
      cookie = `mailpanel_session=${String(res.body.token)}`
    })

    it(`give a verified session cookie its own, larger bucket (${SESSION_LIMIT} a minute here)`, async () => {
      const statuses: number[] = []
      for (let i = 0; i <= SESSION_LIMIT; i++) statuses.push((await send('/api/v1/me', { headers: { cookie }, from })).status)
      expect(statuses).toEqual([...Array(SESSION_LIMIT).fill(200), 429])
      // The address's API bucket is another one: an API key from there still gets through.
      expect((await me(from)).status).toBe(200)
    })

    it('keep a forged session cookie in the plain per-IP API bucket', async () => {
      const statuses: number[] = []
      for (let i = 0; i <= TUNED_API_LIMIT; i++) statuses.push((await send('/api/v1/me', { headers: { cookie: 'mailpanel_session=forged' }, from: '127.0.0.10' })).status)
      expect(statuses).toEqual([401, 401, 401, 429])
    })
  })

  describe('behind a trusted proxy', () => {
    const proxied = (xff: string | undefined, opts: SendOptions = {}) =>
      send(opts.body === undefined ? '/api/v1/me' : '/api/v1/domains', { ...opts, headers: { ...KEY, ...(xff ? { 'x-forwarded-for': xff } : {}) }, from: '127.0.0.1' })

    beforeAll(async () => {
      const put = await send('/api/v1/security/settings', { method: 'PUT', body: { trusted_proxies: ['127.0.0.1'] }, headers: KEY, from: '127.0.0.7' })
      expect(put.status).toBe(200)
    })

    it('uses the X-Forwarded-For address as the client: its own bucket, not the proxy\'s', async () => {
      // 127.0.0.1 itself is over the limit from the tests above.
      expectRateLimited(await proxied(undefined))
      const statuses: number[] = []
      for (let i = 0; i <= TUNED_API_LIMIT; i++) statuses.push((await proxied('198.51.100.1')).status)
      expect(statuses).toEqual([200, 200, 200, 429])
    })

    it('gives different X-Forwarded-For addresses separate buckets', async () => {
      expect((await proxied('198.51.100.2')).status).toBe(200)
      expect((await proxied('2001:db8::2')).status).toBe(200)
      expectRateLimited(await proxied('198.51.100.1'))
    })

    it('takes the right-most untrusted hop, so a client cannot pick its own bucket', async () => {
      // "203.0.113.9" was written by the client; 198.51.100.1 is what the proxy saw (and is limited).
      expectRateLimited(await proxied('203.0.113.9, 198.51.100.1'))
    })

    it('still ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      expectRateLimited(await me('127.0.0.6', { 'x-forwarded-for': '198.51.100.3' }))
    })

    it('records the forwarded address in the audit log ip field', async () => {
      const a = `xff-a-${process.pid}-${Date.now()}.example`
      const b = `xff-b-${process.pid}-${Date.now()}.example`
      const resA = await proxied('198.51.100.10', { body: { name: a } })
      const resB = await proxied('198.51.100.11', { body: { name: b } })
      expect([resA.status, resB.status]).toEqual([201, 201])
      const spoofed = await send('/api/v1/domains', { body: { name: `spoof-${a}` }, headers: { ...KEY, 'x-forwarded-for': '198.51.100.12' }, from: '127.0.0.8' })
      expect(spoofed.status).toBe(201)

      const lines = readFileSync(join(server.root, 'etc/backendside-mailpanel/audit.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { action: string, target: string, ip: string })
      const ipOf = (id: unknown) => lines.filter(l => l.action === 'POST /api/v1/domains' && l.target === String(id)).map(l => l.ip)
      expect(ipOf(resA.body.id)).toEqual(['198.51.100.10'])
      expect(ipOf(resB.body.id)).toEqual(['198.51.100.11'])
      expect(ipOf(spoofed.body.id)).toEqual(['127.0.0.8'])
    })
  })
})
