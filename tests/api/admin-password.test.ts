import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { verify } from '@node-rs/bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, bearer, expectErrorShape, type RequestOptions } from '../support/client'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

const NEW_PASSWORD = 'a-brand-new-admin-passphrase'
const FILE_MODE_MASK = 0o777

/** config.env as KEY → value (the panel writes KEY='value'; the harness does too). */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (match) out[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1')
  }
  return out
}

describe('PUT /api/v1/security/admin-password', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let configPath: string
  let original: string

  const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) => api<T>(path, { ...opts, baseUrl: server.url })
  const login = (password: string) => call<{ token: string }>('/auth/login', { body: { username: ADMIN_USER, password }, auth: false })
  const change = (body: Record<string, unknown>, headers: Record<string, string> = { 'x-api-key': LEGACY_API_KEY }) =>
    call('/api/v1/security/admin-password', { method: 'PUT', body, headers })

  beforeAll(async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
    await raiseRateLimits(server.url)
    configPath = join(server.root, 'etc/backendside-mailpanel/config.env')
    original = readFileSync(configPath, 'utf8')
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  it('refuses a wrong current password with 403 and changes nothing', async () => {
    const session = await login(ADMIN_PASSWORD)
    expect(session.status).toBe(200)
    const res = await change({ current_password: 'not-the-password', new_password: NEW_PASSWORD }, bearer(session.body.token))
    expect(res.status).toBe(403)
    expect(expectErrorShape(res.body).code).toBe('FORBIDDEN')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(readFileSync(configPath, 'utf8')).toBe(original)
    // The session and the password both still work.
    expect((await call('/api/v1/me', { headers: bearer(session.body.token) })).status).toBe(200)
    expect((await login(ADMIN_PASSWORD)).status).toBe(200)
    expect((await login(NEW_PASSWORD)).status).toBe(401)
  })

  it.each([
    ['a new password of 11 characters', { current_password: ADMIN_PASSWORD, new_password: 'x'.repeat(11) }, 'new_password'],
    ['a new password over 72 bytes', { current_password: ADMIN_PASSWORD, new_password: 'x'.repeat(73) }, 'new_password'],
    ['no current password', { new_password: NEW_PASSWORD }, 'current_password'],
    ['an empty current password', { current_password: '', new_password: NEW_PASSWORD }, 'current_password'],
    ['an unknown key', { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD, username: 'root' }, 'username'],
  ])('refuses %s with 400 and changes nothing', async (_label, body, field) => {
    const res = await change(body)
    expect(res.status).toBe(400)
    const err = expectErrorShape(res.body)
    expect(err.code).toBe('VALIDATION_FAILED')
    expect(err.detail).toContain(field)
    expect(readFileSync(configPath, 'utf8')).toBe(original)
  })

  it('needs authentication', async () => {
    const res = await call('/api/v1/security/admin-password', { method: 'PUT', body: { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD }, auth: false })
    expect(res.status).toBe(401)
    expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED')
    expect(readFileSync(configPath, 'utf8')).toBe(original)
  })

  describe('with the right current password', () => {
    let oldSession: string
    let oldCookie: string
    let response: Awaited<ReturnType<typeof change>>

    beforeAll(async () => {
      const session = await login(ADMIN_PASSWORD)
      expect(session.status).toBe(200)
      oldSession = session.body.token
      oldCookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!
      response = await change({ current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD }, bearer(oldSession))
    })

    it('answers 200 with a message', () => {
      expect(response.status).toBe(200)
      expect(typeof response.body.message).toBe('string')
    })

    it('rewrites config.env with a new bcrypt ADMIN_PASSWORD_HASH, mode 0600, other keys unchanged', async () => {
      const before = parseEnv(original)
      const after = parseEnv(readFileSync(configPath, 'utf8'))
      expect(after.ADMIN_PASSWORD_HASH).toBeDefined()
      expect(after.ADMIN_PASSWORD_HASH).not.toBe(before.ADMIN_PASSWORD_HASH)
      expect(after.ADMIN_PASSWORD_HASH).toMatch(/^\$2[aby]\$\d\d\$/)
      expect(await verify(NEW_PASSWORD, after.ADMIN_PASSWORD_HASH!)).toBe(true)
      expect(await verify(ADMIN_PASSWORD, after.ADMIN_PASSWORD_HASH!)).toBe(false)
      const { ADMIN_PASSWORD_HASH: _old, ...otherBefore } = before
      const { ADMIN_PASSWORD_HASH: _new, ...otherAfter } = after
      expect(otherAfter).toEqual(otherBefore)
      expect(statSync(configPath).mode & FILE_MODE_MASK).toBe(0o600)
      expect(readFileSync(configPath, 'utf8')).not.toContain(NEW_PASSWORD)
    })

    it('ends the old session at once: its Bearer token and its cookie get 401', async () => {
      const viaBearer = await call('/api/v1/me', { headers: bearer(oldSession) })
      expect(viaBearer.status).toBe(401)
      expect(expectErrorShape(viaBearer.body).code).toBe('UNAUTHORIZED')
      expect((await call('/api/v1/me', { headers: { cookie: oldCookie } })).status).toBe(401)
    })

    it('signs in with the new password without a restart, and no longer with the old one', async () => {
      const oldOne = await login(ADMIN_PASSWORD)
      expect(oldOne.status).toBe(401)
      expect(expectErrorShape(oldOne.body).code).toBe('UNAUTHORIZED')
      const fresh = await login(NEW_PASSWORD)
      expect(fresh.status).toBe(200)
      const me = await call('/api/v1/me', { headers: bearer(fresh.body.token) })
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ kind: 'session', name: ADMIN_USER })
    })

    it('keeps the API key working', async () => {
      expect((await call('/api/v1/me')).status).toBe(200)
    })

    it('now wants the new password as the current one', async () => {
      const res = await change({ current_password: ADMIN_PASSWORD, new_password: 'yet-another-passphrase' })
      expect(res.status).toBe(403)
      expect(await verify(NEW_PASSWORD, parseEnv(readFileSync(configPath, 'utf8')).ADMIN_PASSWORD_HASH!)).toBe(true)
    })

    it('leaves no password or hash in the audit log', () => {
      const log = readFileSync(join(server.root, 'etc/backendside-mailpanel/audit.log'), 'utf8')
      const hash = parseEnv(readFileSync(configPath, 'utf8')).ADMIN_PASSWORD_HASH!
      for (const secret of [ADMIN_PASSWORD, NEW_PASSWORD, hash, oldSession]) expect(log.includes(secret)).toBe(false)
      expect(log).toContain('"action":"PUT /api/v1/security/admin-password"')
    })
  })
})
