import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, sendFrom, type SendOptions } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

/**
 * The first-run wizard's API on a server whose config.env has no admin password yet. A stranger is
 * modelled as a client behind a reverse proxy: 127.0.0.2 is a trusted proxy and forwards for
 * 203.0.113.x (127.0.0.0/8 itself is loopback, which setup allows).
 */
const PROXY = '127.0.0.2'
const STRANGER = '203.0.113.10'
const ALLOWLISTED = '203.0.113.9'
const KEY = { 'x-api-key': LEGACY_API_KEY }
const CANDIDATES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const
const passwordOf = (user: string) => `${user}-first-run-password`

describe('setup wizard API', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>

  const send = (path: string, opts: SendOptions = {}) => sendFrom(path, { ...opts, baseUrl: server.url })
  const status = () => send('/api/v1/setup/status')
  /** Directly from loopback, or through the proxy for `client`. */
  const via = (client?: string): SendOptions => client ? { from: PROXY, headers: { 'x-forwarded-for': client } } : { from: '127.0.0.1' }
  const setup = (body: unknown, client?: string) => send('/api/v1/setup', { method: 'POST', body, ...via(client) })
  const login = (username: string, password: string, client?: string) => send('/auth/login', { body: { username, password }, ...via(client) })
  const configText = () => readFileSync(join(server.root, 'etc/backendside-mailpanel/config.env'), 'utf8')

  beforeAll(async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot({ ADMIN_USER: undefined, ADMIN_PASSWORD_HASH: undefined }), databaseUrl: db.url })
    await raiseRateLimits(server.url)
    const proxy = await send('/api/v1/security/settings', { method: 'PUT', body: { trusted_proxies: [PROXY] }, headers: KEY })
    expect(proxy.status).toBe(200)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  it('reports setup as incomplete, publicly, and sign-in as 409 SETUP_REQUIRED', async () => {
    const res = await status()
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ complete: false })
    expectError(await login('admin', 'whatever-password'), 409, 'SETUP_REQUIRED')
  })

  it('refuses a client that is neither loopback nor on the admin allowlist with 403, and changes nothing', async () => {
    const res = await setup({ username: 'mallory', password: passwordOf('mallory') }, STRANGER)
    expect(expectError(res, 403, 'FORBIDDEN').detail).toMatch(/SSH tunnel/)
    expect(configText()).not.toContain('ADMIN_PASSWORD_HASH')
    expect((await status()).body).toEqual({ complete: false })
  })

  it('answers bad input with 400s naming the field, never echoing the password', async () => {
    expectValidation(await setup({ password: passwordOf('x') }), 'username')
    expectValidation(await setup({ username: '1st', password: passwordOf('x') }), 'username')
    const short = expectValidation(await setup({ username: 'admin', password: 'too-short' }), 'password')
    expect(short.detail).not.toContain('too-short')
    expectValidation(await setup({ username: 'admin', password: 'x'.repeat(73) }), 'password')
    expectValidation(await setup({ username: 'admin', password: passwordOf('x'), mail_hostname: 'not a host' }), 'mail_hostname')
    expectValidation(await setup({ username: 'admin', password: passwordOf('x'), is_admin: true }), 'is_admin')
    expectError(await api('/api/v1/setup', { method: 'POST', raw: 'username=admin', headers: { 'content-type': 'text/plain' }, auth: false, baseUrl: server.url }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect((await status()).body).toEqual({ complete: false })
  })

  it('lets exactly one of six concurrent first requests win (loopback and allowlisted clients racing)', async () => {
    // A non-empty admin allowlist also admits its addresses; others stay refused.
    const list = await send('/api/v1/security/settings', { method: 'PUT', body: { admin_login_whitelist: [ALLOWLISTED], confirm_lockout: true }, headers: KEY })
    expect(list.status).toBe(200)
    expectError(await setup({ username: 'mallory', password: passwordOf('mallory') }, STRANGER), 403, 'FORBIDDEN')

    const results = await Promise.all(CANDIDATES.map((username, i) =>
      setup({ username, password: passwordOf(username), mail_hostname: `mail${i}.example.com` }, i % 2 ? ALLOWLISTED : undefined)))
    const winners = CANDIDATES.filter((_, i) => results[i]!.status === 200)
    expect(winners, JSON.stringify(results.map(r => r.body))).toHaveLength(1)
    for (const res of results.filter(r => r.status !== 200)) expectError(res, 409, 'SETUP_COMPLETE')

    const winner = winners[0]!
    const config = configText()
    expect(config).toContain(`ADMIN_USER='${winner}'`)
    expect(config).toContain(`MAIL_HOSTNAME='mail${CANDIDATES.indexOf(winner)}.example.com'`)
    expect(config.match(/ADMIN_PASSWORD_HASH=/g)).toHaveLength(1)
    expect(config).not.toContain(passwordOf(winner))
    expect((await status()).body).toEqual({ complete: true })
    // The admin allowlist now gates sign-in too, so the new admin signs in from the allowlisted address.
    expect((await login(winner, passwordOf(winner), ALLOWLISTED)).status).toBe(200)
    const loser = CANDIDATES.find(c => c !== winner)!
    expect((await login(loser, passwordOf(loser), ALLOWLISTED)).status).toBe(401)
  })

  it('is closed once complete: 409 SETUP_COMPLETE from loopback and from anywhere else', async () => {
    expectError(await setup({ username: 'again', password: passwordOf('again') }), 409, 'SETUP_COMPLETE')
    expectError(await setup({ username: 'mallory', password: passwordOf('mallory') }, STRANGER), 409, 'SETUP_COMPLETE')
    expect(configText()).not.toContain('again')
  })
})
