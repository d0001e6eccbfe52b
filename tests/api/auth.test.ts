import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { decodeJwt, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, bearer, expectErrorShape, type ApiResponse } from '../support/client'
import { expectError } from '../support/expect'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

const COOKIE = 'mailpanel_session'
const SESSION_TTL_MS = 12 * 60 * 60 * 1000
const CLOCK_SLACK_MS = 60_000
const KNOWN_SECRET = `known-test-secret-${randomBytes(16).toString('hex')}`
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
const API_DIR = join(process.cwd(), 'server/api/v1')
// Routes a stranger may call (everything else under /api/v1 must answer 401 first).
const PUBLIC_ROUTE_FILES = new Set(['health.get.ts', 'auth/login.post.ts', 'auth/logout.post.ts', 'setup/status.get.ts', 'setup/index.post.ts'])

interface Cookie {
  name: string
  value: string
  attributes: Map<string, string>
}

function parseSetCookie(header: string): Cookie {
  const [pair = '', ...attrs] = header.split(';').map(s => s.trim())
  const eq = pair.indexOf('=')
  const attributes = new Map<string, string>()
  for (const attr of attrs) {
    const i = attr.indexOf('=')
    if (i === -1) attributes.set(attr.toLowerCase(), '')
    else attributes.set(attr.slice(0, i).toLowerCase(), attr.slice(i + 1))
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}

const sessionCookies = (res: ApiResponse<unknown>): Cookie[] =>
  res.headers.getSetCookie().map(parseSetCookie).filter(c => c.name === COOKIE)

interface LoginBody {
  message: string
  token: string
  expires_at: string
}

const login = (baseUrl?: string, path = '/auth/login') =>
  api<LoginBody>(path, { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false, baseUrl })

/** GET /api/v1/me with the given headers only. */
const me = (headers: Record<string, string>, baseUrl?: string) => api('/api/v1/me', { headers, auth: false, baseUrl })

function expectUnauthorized(res: ApiResponse<unknown>): void {
  expectError(res, 401, 'UNAUTHORIZED')
}

/** Flips one character in the middle of the signature (a middle char, so no base64url padding bits hide the change). */
function tamperSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.')
  const i = Math.floor(signature.length / 2)
  const flipped = signature[i] === 'A' ? 'B' : 'A'
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`
}

async function sign(claims: JWTPayload, secret: Uint8Array | string, alg = 'HS256'): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key)
}

describe('POST /auth/login', () => {
  it.each(['/auth/login', '/api/v1/auth/login'])('%s signs in with the right credentials: token, expiry and a strict session cookie', async (path) => {
    const before = Date.now()
    const res = await login(undefined, path)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(['expires_at', 'message', 'token'])
    expect(typeof res.body.message).toBe('string')
    expect(res.body.token.split('.')).toHaveLength(3)
    const expires = Date.parse(res.body.expires_at)
    expect(res.body.expires_at).toBe(new Date(expires).toISOString())
    expect(expires).toBeGreaterThan(before)
    expect(expires).toBeLessThanOrEqual(Date.now() + SESSION_TTL_MS + CLOCK_SLACK_MS)

    const cookies = sessionCookies(res)
    expect(cookies).toHaveLength(1)
    const cookie = cookies[0]!
    expect(cookie.value).toBe(res.body.token)
    expect(cookie.attributes.has('httponly')).toBe(true)
    expect(cookie.attributes.has('secure')).toBe(true)
    expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('strict')
    expect(cookie.attributes.get('path')).toBe('/')
  })

  it('issues a token that works as Authorization: Bearer', async () => {
    const { body } = await login()
    const res = await me(bearer(body.token))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ kind: 'session', name: ADMIN_USER })
  })

  it('issues a cookie that works as a cookie header', async () => {
    const res = await login()
    const cookie = sessionCookies(res)[0]!
    const meRes = await me({ cookie: `other=1; ${COOKIE}=${cookie.value}` })
    expect(meRes.status).toBe(200)
    expect(meRes.body).toMatchObject({ kind: 'session', name: ADMIN_USER })
  })

  it.each([
    ['a wrong password', { username: ADMIN_USER, password: `${ADMIN_PASSWORD}x` }],
    ['a wrong username', { username: `${ADMIN_USER}x`, password: ADMIN_PASSWORD }],
    ['the username in another case', { username: ADMIN_USER.toUpperCase(), password: ADMIN_PASSWORD }],
    ['both wrong', { username: 'root', password: 'toor' }],
  ])('refuses %s with 401 and sets no cookie', async (_, body) => {
    const res = await api('/auth/login', { body, auth: false })
    expectUnauthorized(res)
    expect(sessionCookies(res)).toEqual([])
  })

  it.each([
    ['an empty object', {}, 'username'],
    ['no password', { username: ADMIN_USER }, 'password'],
    ['no username', { password: ADMIN_PASSWORD }, 'username'],
    ['an empty username', { username: '', password: ADMIN_PASSWORD }, 'username'],
    ['an empty password', { username: ADMIN_USER, password: '' }, 'password'],
    ['a numeric password', { username: ADMIN_USER, password: 12345678 }, 'password'],
    ['an extra key', { username: ADMIN_USER, password: ADMIN_PASSWORD, remember: true }, 'remember'],
  ])('answers 400 VALIDATION_FAILED for %s, naming the field', async (_, body, field) => {
    const res = await api('/auth/login', { body, auth: false })
    expect(res.status).toBe(400)
    const err = expectErrorShape(res.body)
    expect(err.code).toBe('VALIDATION_FAILED')
    expect(err.detail).toContain(field)
    expect(sessionCookies(res)).toEqual([])
  })

  it('answers 400 for a JSON content type with no body', async () => {
    const res = await api('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, auth: false })
    expect(res.status).toBe(400)
    expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
  })

  it('answers 400 for a body that is not JSON', async () => {
    const res = await api('/auth/login', {
      method: 'POST',
      raw: `username=${ADMIN_USER}&password=${ADMIN_PASSWORD}`,
      headers: { 'content-type': 'application/json' },
      auth: false,
    })
    expect(res.status).toBe(400)
    expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
  })

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('answers 415 for Content-Type %s', async (type) => {
    const res = await api('/auth/login', {
      method: 'POST',
      raw: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }),
      headers: { 'content-type': type },
      auth: false,
    })
    expect(res.status).toBe(415)
    expectErrorShape(res.body)
    expect(sessionCookies(res)).toEqual([])
  })
})

describe('session tokens that must not work', () => {
  let token: string
  let claims: JWTPayload

  beforeAll(async () => {
    const res = await login()
    expect(res.status).toBe(200)
    token = res.body.token
    claims = decodeJwt(token)
  })

  it('the untouched token works (control)', async () => {
    expect((await me(bearer(token))).status).toBe(200)
  })

  it('a token with a flipped signature character is 401, as Bearer and as cookie', async () => {
    const bad = tamperSignature(token)
    expect(bad).not.toBe(token)
    expectUnauthorized(await me(bearer(bad)))
    expectUnauthorized(await me({ cookie: `${COOKIE}=${bad}` }))
  })

  it('a token whose payload was edited (signature kept) is 401', async () => {
    const [header, , signature] = token.split('.')
    const payload = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp ?? 0) + 3600 })).toString('base64url')
    expectUnauthorized(await me(bearer(`${header}.${payload}.${signature}`)))
  })

  it('a token with the same claims signed with another secret is 401', async () => {
    const forged = await sign(claims, randomBytes(32))
    expectUnauthorized(await me(bearer(forged)))
    expectUnauthorized(await me({ cookie: `${COOKIE}=${forged}` }))
  })

  it('an unsigned token (alg none) is 401', async () => {
    const unsigned = new UnsecuredJWT(claims).encode()
    expect(unsigned.endsWith('.')).toBe(true)
    expectUnauthorized(await me(bearer(unsigned)))
    // The same, but with the original signature left attached.
    const [, payload] = unsigned.split('.')
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    expectUnauthorized(await me(bearer(`${header}.${payload}.${token.split('.')[2]}`)))
  })

  it.each([
    ['garbage', 'not-a-jwt'],
    ['an empty signature', token => `${token.split('.').slice(0, 2).join('.')}.`],
    ['two segments', token => token.split('.').slice(0, 2).join('.')],
  ] as [string, string | ((t: string) => string)][])('a token that is %s is 401', async (_, make) => {
    const bad = typeof make === 'string' ? make : make(token)
    expectUnauthorized(await me(bearer(bad)))
  })

  it('an empty Bearer or an empty cookie is 401', async () => {
    expectUnauthorized(await me({ authorization: 'Bearer ' }))
    expectUnauthorized(await me({ cookie: `${COOKIE}=` }))
  })
})

describe('X-API-Key', () => {
  it('the legacy API_KEY works', async () => {
    const res = await me({ 'x-api-key': LEGACY_API_KEY })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ kind: 'api_key' })
  })

  it.each([
    ['a wrong key', `${LEGACY_API_KEY}x`],
    ['a prefix of the key', LEGACY_API_KEY.slice(0, -1)],
    ['the key in upper case', LEGACY_API_KEY.toUpperCase()],
  ])('%s is 401', async (_, key) => {
    expectUnauthorized(await me({ 'x-api-key': key }))
  })

  it('a wrong X-API-Key is 401 even when a valid Bearer token and cookie are also sent', async () => {
    const { body } = await login()
    expect((await me(bearer(body.token))).status).toBe(200)
    expectUnauthorized(await me({ 'x-api-key': 'wrong-key', ...bearer(body.token), 'cookie': `${COOKIE}=${body.token}` }))
  })
})

interface RouteCase {
  file: string
  method: string
  path: string
}

/** Every route file under server/api/v1 as method + concrete path (`[id]` → 1). */
function apiRoutes(): RouteCase[] {
  const files = readdirSync(API_DIR, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.ts')).map(f => f.split('\\').join('/'))
  return files.filter(f => !PUBLIC_ROUTE_FILES.has(f)).flatMap((file) => {
    const match = /^(.*?)(?:\.(get|post|put|patch|delete))?\.ts$/.exec(file)!
    const methods = match[2] ? [match[2].toUpperCase()] : [...HTTP_METHODS]
    const route = match[1]!.replace(/\[[^\]]+\]/g, '1').replace(/(^|\/)index$/, '')
    return methods.map(method => ({ file, method, path: `/api/v1/${route}`.replace(/\/$/, '') }))
  })
}

describe('every /api/v1 route needs credentials', () => {
  const routes = apiRoutes()

  it('finds the route files (sanity check of the enumeration)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20)
    expect(routes).toContainEqual({ file: 'domains/index.post.ts', method: 'POST', path: '/api/v1/domains' })
    expect(routes).toContainEqual({ file: 'mailboxes/[id]/password.patch.ts', method: 'PATCH', path: '/api/v1/mailboxes/1/password' })
  })

  it.each(routes.map(r => [`${r.method} ${r.path}`, r] as const))('%s answers 401 without credentials (before validating the body)', async (_, route) => {
    const withBody = route.method !== 'GET' && route.method !== 'DELETE'
    const res = await api(route.path, { method: route.method, auth: false, ...(withBody ? { body: { bogus: 'x' } } : {}) })
    expectUnauthorized(res)
  })

  it.each(['/health', '/api/v1/health'])('%s is public', async (path) => {
    const res = await api(path, { auth: false })
    expect(res.status).toBe(200)
  })
})

describe('POST /auth/logout', () => {
  it.each(['/auth/logout', '/api/v1/auth/logout'])('%s clears the session cookie on path /', async (path) => {
    const { body } = await login()
    const res = await api(path, { method: 'POST', headers: { cookie: `${COOKIE}=${body.token}` }, auth: false })
    expect(res.status).toBe(200)
    expect(typeof (res.body as { message?: unknown }).message).toBe('string')
    const cookies = sessionCookies(res)
    expect(cookies).toHaveLength(1)
    const cookie = cookies[0]!
    expect(cookie.value).toBe('')
    expect(cookie.attributes.get('path')).toBe('/')
    const maxAge = cookie.attributes.get('max-age')
    const expires = cookie.attributes.get('expires')
    const cleared = maxAge === '0' || (expires !== undefined && Date.parse(expires) < Date.now())
    expect(cleared, `Set-Cookie does not expire the cookie: max-age=${maxAge}, expires=${expires}`).toBe(true)
  })

  it('works without any session', async () => {
    const res = await api('/auth/logout', { method: 'POST', auth: false })
    expect(res.status).toBe(200)
  })
})

describe('dedicated servers', () => {
  const roots: string[] = []
  const dbs: { drop: () => Promise<void> }[] = []
  let known: TestServer
  let noHash: TestServer

  async function start(values: Record<string, string | undefined>): Promise<TestServer> {
    const db = await createTestDatabase()
    dbs.push(db)
    const root = await makeRoot(values)
    roots.push(root)
    const server = await startServer({ root, databaseUrl: db.url })
    await raiseRateLimits(server.url)
    return server
  }

  beforeAll(async () => {
    [known, noHash] = await Promise.all([start({ JWT_SECRET: KNOWN_SECRET }), start({ ADMIN_PASSWORD_HASH: undefined })])
  })

  afterAll(async () => {
    await Promise.all([known?.stop(), noHash?.stop()])
    await Promise.all(dbs.map(db => db.drop()))
    roots.forEach(removeRoot)
  })

  describe('tokens signed with the server\'s own JWT_SECRET', () => {
    let claims: JWTPayload
    const now = () => Math.floor(Date.now() / 1000)

    beforeAll(async () => {
      const res = await login(known.url)
      expect(res.status).toBe(200)
      claims = decodeJwt(res.body.token)
    })

    it('a re-signed copy of a real session works (control: the secret is right)', async () => {
      const token = await sign({ ...claims, iat: now() - 60, exp: now() + 600 }, KNOWN_SECRET)
      const res = await me(bearer(token), known.url)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ kind: 'session', name: ADMIN_USER })
    })

    it('an expired token is 401, as Bearer and as cookie', async () => {
      const expired = await sign({ ...claims, iat: now() - 7200, exp: now() - 3600 }, KNOWN_SECRET)
      expectUnauthorized(await me(bearer(expired), known.url))
      expectUnauthorized(await me({ cookie: `${COOKIE}=${expired}` }, known.url))
    })

    it('a token not yet valid (nbf in the future) is 401', async () => {
      const early = await sign({ ...claims, nbf: now() + 3600 }, KNOWN_SECRET)
      expectUnauthorized(await me(bearer(early), known.url))
    })

    it('HS512 with the right secret is 401 (only HS256 is accepted)', async () => {
      const token = await sign({ ...claims, exp: now() + 600 }, KNOWN_SECRET, 'HS512')
      expectUnauthorized(await me(bearer(token), known.url))
    })

    it.each([
      ['no exp', () => ({ ...claims, iat: now(), exp: undefined })],
      ['no iat', () => ({ ...claims, iat: undefined, exp: now() + 600 })],
      ['an exp 10 years out', () => ({ ...claims, iat: now(), exp: now() + 10 * 365 * 86_400 })],
      ['a lifetime just over the 12 h session (plus the allowed skew)', () => ({ ...claims, iat: now(), exp: now() + 12 * 3600 + 120 })],
      ['an iat in the future that makes a long session look young', () => ({ ...claims, iat: now() + 86_400, exp: now() + 86_400 + 600 })],
      ['no issuer', () => ({ ...claims, iss: undefined, exp: now() + 600 })],
    ])('a token with %s is 401, though signed with the right secret', async (_, make) => {
      const token = await sign(make(), KNOWN_SECRET)
      expectUnauthorized(await me(bearer(token), known.url))
    })

    it.each([
      ['another subject', { sub: 'root' }],
      ['another issuer', { iss: 'someone-else' }],
      ['another password version', { pwv: 'ffffffffffffffff' }],
    ])('a token for %s is 401', async (_, change) => {
      const token = await sign({ ...claims, ...change, exp: now() + 600 }, KNOWN_SECRET)
      expectUnauthorized(await me(bearer(token), known.url))
    })

    it('the shared server rejects a token from this server (different secret)', async () => {
      const token = await sign({ ...claims, exp: now() + 600 }, KNOWN_SECRET)
      expectUnauthorized(await me(bearer(token)))
    })
  })

  it('login with no ADMIN_PASSWORD_HASH configured is 409 SETUP_REQUIRED', async () => {
    const res = await login(noHash.url)
    expect(res.status).toBe(409)
    expect(expectErrorShape(res.body).code).toBe('SETUP_REQUIRED')
    expect(sessionCookies(res)).toEqual([])
  })
})
