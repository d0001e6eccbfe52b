import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, freePorts, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { askStandin, installWebmailStandin, killStandin, webmailFiles } from '../support/webmail'
import type { WebmailActionResponse, WebmailConfigResponse, WebmailLogsResponse, WebmailRegenResponse, WebmailStatus } from '#shared/types/webmail'

const PACKAGE_DETAIL = /backendside-webmail is not installed on this server: install the backendside-webmail package/
const server1 = { name: 'Main', host: 'mail.example.com', imap_port: 993, smtp_port: 465, security: 'tls' }
const settings = (port: number, extra: Record<string, unknown> = {}) => ({
  listen_port: port, cookie_secure: true, allow_custom_server: false, allow_insecure_plaintext: false, mail_servers: [server1], ...extra,
})

describe('webmail when BackendSide WebMail is not installed', () => {
  it('needs a signed-in admin or a key, before anything else', async () => {
    expectError(await api('/api/v1/webmail/status', { auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/webmail/start', { method: 'POST', auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/webmail/config', { method: 'PUT', body: settings(8090), auth: false }), 401, 'UNAUTHORIZED')
  })

  it('the status says it is not installed, and where the panel looked', async () => {
    const res = await api<WebmailStatus>('/api/v1/webmail/status')
    expect(res.status).toBe(200)
    const root = inject('serverRoot')
    expect(res.body).toMatchObject({ installed: false, running: false, pid: null, binary: null, unit: null, version: null, package: 'backendside-webmail', config_file: join(root, 'etc/backendside-webmail/config.yaml') })
  })

  it('every other endpoint is a 409 CAPABILITY_MISSING naming the package, and writes nothing', async () => {
    for (const [path, method, body] of [['/api/v1/webmail/config', 'GET'], ['/api/v1/webmail/config', 'PUT', settings(8090)], ['/api/v1/webmail/start', 'POST'],
      ['/api/v1/webmail/stop', 'POST'], ['/api/v1/webmail/restart', 'POST'], ['/api/v1/webmail/logs', 'GET'], ['/api/v1/webmail/regen-session-key', 'POST']] as const) {
      const err = expectError(await api(path, { method, body }), 409, 'CAPABILITY_MISSING')
      expect(err.detail, `${method} ${path}`).toMatch(PACKAGE_DETAIL)
    }
    expect(existsSync(join(inject('serverRoot'), 'etc/backendside-webmail'))).toBe(false)
  })
})

/** A server whose root has the stand-in companion (tests/support/webmail-standin.mjs) as its binary, run by the panel's supervisor. */
describe('webmail with the stand-in companion installed', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let files: ReturnType<typeof webmailFiles>
  let ports: number[]
  const call = <T = Record<string, unknown>>(path: string, method = 'GET', body?: unknown) => api<T>(`/api/v1/webmail/${path}`, { method, body, baseUrl: server.url })
  const fileText = () => readFileSync(files.config, 'utf8')

  beforeAll(async () => {
    db = await createTestDatabase()
    const root = await makeRoot()
    installWebmailStandin(root)
    files = webmailFiles(root)
    server = await startServer({ root, databaseUrl: db.url })
    await raiseRateLimits(server.url)
    ports = await freePorts(3)
  })

  afterAll(async () => {
    if (server) killStandin(server.root)
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  it('the status finds the binary and its version; nothing runs yet', async () => {
    const res = await call<WebmailStatus>('status')
    expect(res.body).toMatchObject({ installed: true, binary: files.binary, unit: null, manager: 'panel', running: false, pid: null, version: 'backendside-webmail 0.0.0-standin' })
  })

  it('before a save: the defaults, no secret, and start asks for the settings first', async () => {
    const res = await call<WebmailConfigResponse>('config')
    expect(res.body).toEqual({ exists: false, listen_port: 8090, cookie_secure: true, allow_custom_server: false, allow_insecure_plaintext: false, mail_servers: [], session_secret_set: false, session_secret_fingerprint: null })
    expectError(await call('start', 'POST'), 409, 'WEBMAIL_NOT_CONFIGURED')
    expect(existsSync(files.config)).toBe(false)
  })

  it('PUT writes the YAML file with a new secret that GET never returns', async () => {
    const res = await call<WebmailConfigResponse & { message: string }>('config', 'PUT', settings(ports[0]!))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ message: 'Webmail settings saved', exists: true, listen_port: ports[0], mail_servers: [server1], session_secret_set: true })
    const text = fileText()
    expect(text).toContain(`listen_port: ${ports[0]}`)
    expect(text).toMatch(/mail_servers:\n {2}- name: Main\n {4}host: mail\.example\.com/)
    const secret = /^session_secret: (\w+)$/m.exec(text)?.[1]
    expect(secret).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(files.config).mode & 0o777).toBe(0o600)
    const got = await call<WebmailConfigResponse>('config')
    expect(JSON.stringify(got.body)).not.toContain(secret!)
    expect(got.body.session_secret_fingerprint).toMatch(/^[0-9a-f]{12}$/)
  })

  it('start runs it on the configured port with the saved settings', async () => {
    const res = await call<WebmailActionResponse>('start', 'POST')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.message).toBe('Webmail started')
    expect(res.body.status).toMatchObject({ running: true, pid: expect.any(Number) })
    const seen = await askStandin(ports[0]!)
    const { session_secret_fingerprint: fp } = (await call<WebmailConfigResponse>('config')).body
    expect(seen).toMatchObject({ listen_port: ports[0], cookie_secure: true, mail_servers: [server1], session_secret_fingerprint: fp, pid: res.body.status.pid })
    expect(seen).not.toHaveProperty('session_secret')
    // Nothing of the panel's environment (its database URL, its root) reaches the companion.
    expect(seen?.env_keys).toEqual(expect.arrayContaining(['PATH']))
    for (const key of ['DATABASE_URL', 'MAILPANEL_ROOT', 'JWT_SECRET', 'PORT']) expect(seen?.env_keys).not.toContain(key)
    // A second start leaves the running one alone.
    expect((await call<WebmailActionResponse>('start', 'POST')).body.status.pid).toBe(res.body.status.pid)
  })

  it('a new port and settings reach the companion at its restart', async () => {
    const next = settings(ports[1]!, { cookie_secure: false, allow_custom_server: true, allow_insecure_plaintext: true,
      mail_servers: [server1, { name: 'Legacy box', host: '192.0.2.25', imap_port: 143, smtp_port: 25, security: 'none' }, { name: 'v6', host: '2001:db8::25', imap_port: 143, smtp_port: 587, security: 'starttls' }] })
    const saved = await call<{ message: string }>('config', 'PUT', next)
    expect(saved.body.message).toBe('Webmail settings saved: restart webmail to apply them')
    expect((await askStandin(ports[0]!))?.listen_port).toBe(ports[0])
    const res = await call<WebmailActionResponse>('restart', 'POST')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await askStandin(ports[0]!)).toBeNull()
    expect(await askStandin(ports[1]!)).toMatchObject({ listen_port: ports[1], cookie_secure: false, allow_custom_server: true, allow_insecure_plaintext: true, mail_servers: next.mail_servers })
  })

  it('regen-session-key changes the secret (fingerprint only in the answer); the restarted companion has it', async () => {
    const before = /^session_secret: (\w+)$/m.exec(fileText())![1]!
    const oldFp = (await call<WebmailConfigResponse>('config')).body.session_secret_fingerprint
    const res = await call<WebmailRegenResponse>('regen-session-key', 'POST')
    expect(res.status).toBe(200)
    expect(res.body.message).toMatch(/restart webmail to apply it/)
    const after = /^session_secret: (\w+)$/m.exec(fileText())![1]!
    expect(after).not.toBe(before)
    expect(JSON.stringify(res.body)).not.toContain(after)
    expect(res.body.session_secret_fingerprint).not.toBe(oldFp)
    expect((await askStandin(ports[1]!))?.session_secret_fingerprint).toBe(oldFp)
    await call('restart', 'POST')
    expect((await askStandin(ports[1]!))?.session_secret_fingerprint).toBe(res.body.session_secret_fingerprint)
    // The settings stayed as they were.
    expect((await call<WebmailConfigResponse>('config')).body.listen_port).toBe(ports[1])
  })

  it('the log viewer shows its lines, newest last, and filters by a literal substring', async () => {
    await askStandin(ports[1]!)
    const res = await call<WebmailLogsResponse>('logs?lines=50')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ source: 'file', file: files.log, lines: 50, q: '' })
    const texts = res.body.data.map(l => l.text)
    expect(texts.some(t => t.includes(`listening on 127.0.0.1:${ports[1]}`))).toBe(true)
    expect(texts.at(-1)).toMatch(/GET \/ 200 from 127\.0\.0\.1/)
    expect(res.body.data.at(-1)!.time).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    const filtered = await call<WebmailLogsResponse>('logs?q=SIGTERM')
    expect(filtered.body.data.length).toBeGreaterThanOrEqual(2)
    expect(filtered.body.data.every(l => l.text.includes('SIGTERM'))).toBe(true)
    expect((await call<WebmailLogsResponse>(`logs?q=${encodeURIComponent('.*')}`)).body.data).toEqual([])
    expectValidation(await call('logs?lines=7'), 'lines')
    expectValidation(await call(`logs?q=${'x'.repeat(201)}`), 'q')
    expectValidation(await call('logs?service=postfix'), 'service')
  })

  it('bad settings are 400s naming the field, and the file is unchanged', async () => {
    const before = fileText()
    const bad: [unknown, string][] = [
      [settings(0), 'listen_port'],
      [settings(70000), 'listen_port'],
      [settings(8090.5), 'listen_port'],
      [settings('8090' as never), 'listen_port'],
      [settings(8090, { mail_servers: [{ ...server1, host: 'mail.example.com\nsession_secret: x' }] }), 'mail_servers.0.host'],
      [settings(8090, { mail_servers: [{ ...server1, name: 'Main\nlisten_port: 1' }] }), 'mail_servers.0.name'],
      [settings(8090, { mail_servers: [{ ...server1, name: 'tab\there' }] }), 'mail_servers.0.name'],
      [settings(8090, { mail_servers: [{ ...server1, host: 'mail.example.com:993' }] }), 'mail_servers.0.host'],
      [settings(8090, { mail_servers: [{ ...server1, host: '../../etc' }] }), 'mail_servers.0.host'],
      [settings(8090, { mail_servers: [{ ...server1, imap_port: 0 }] }), 'mail_servers.0.imap_port'],
      [settings(8090, { mail_servers: [{ ...server1, name: 'x'.repeat(65) }] }), 'mail_servers.0.name'],
      [settings(8090, { mail_servers: [{ ...server1, security: 'ssl' }] }), 'mail_servers.0.security'],
      [settings(8090, { mail_servers: [{ ...server1, colour: 'red' }] }), 'mail_servers.0.colour'],
      [settings(8090, { mail_servers: Array.from({ length: 51 }, (_, i) => ({ ...server1, name: `s${i}` })) }), 'mail_servers'],
      [settings(8090, { mail_servers: [{ ...server1, security: 'none' }] }), 'allow_insecure_plaintext'],
      [settings(8090, { session_secret: 'a'.repeat(64) }), 'session_secret'],
      [settings(8090, { colour: 'red' }), 'colour'],
      [{ listen_port: 8090 }, 'cookie_secure'],
      [settings(Number(new URL(server.url).port)), 'listen_port'],
    ]
    for (const [body, field] of bad) {
      const err = expectValidation(await call('config', 'PUT', body), field)
      expect(err.detail, field).not.toContain('session_secret: x')
    }
    const huge = await api(`/api/v1/webmail/config`, { method: 'PUT', baseUrl: server.url, raw: JSON.stringify(settings(8090, { mail_servers: [{ ...server1, name: 'x'.repeat(2 * 1024 * 1024) }] })), headers: { 'content-type': 'application/json' } })
    expectError(huge, 413, 'PAYLOAD_TOO_LARGE')
    expectError(await api(`/api/v1/webmail/config`, { method: 'PUT', baseUrl: server.url, raw: 'listen_port: 1', headers: { 'content-type': 'text/yaml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(fileText()).toBe(before)
  })

  it('a save keeps keys and comments the panel does not own', async () => {
    writeFileSync(files.config, `${fileText()}# the companion's own option\ntheme: dark\n`)
    expect((await call('config', 'PUT', settings(ports[1]!))).status).toBe(200)
    expect(fileText()).toContain('# the companion\'s own option\ntheme: dark')
    expect(fileText()).toContain('mail_servers:\n  - name: Main')
  })

  it('stop ends it: the port is closed and the status says so', async () => {
    const res = await call<WebmailActionResponse>('stop', 'POST')
    expect(res.body).toMatchObject({ message: 'Webmail stopped', status: { running: false, pid: null } })
    expect(await askStandin(ports[1]!)).toBeNull()
    expect(existsSync(files.pidFile)).toBe(false)
    expect((await call<WebmailLogsResponse>('logs?lines=50')).body.data.at(-1)?.text).toMatch(/SIGTERM: stopping/)
    // Stopping what is stopped is fine.
    expect((await call('stop', 'POST')).status).toBe(200)
  })

  it('a companion that exits at once (its port taken) is a 503 pointing at its log', async () => {
    const blocker = createServer().listen(ports[2], '127.0.0.1')
    await new Promise(resolve => blocker.once('listening', resolve))
    try {
      await call('config', 'PUT', settings(ports[2]!))
      const err = expectError(await call('start', 'POST'), 503, 'WEBMAIL_START_FAILED')
      expect(err.detail).toMatch(/exited with code 1/)
      expect((await call<WebmailLogsResponse>('logs?q=cannot%20listen')).body.data).toHaveLength(1)
      expect((await call<WebmailStatus>('status')).body.running).toBe(false)
    }
    finally {
      blocker.close()
    }
  })

  it('a file the panel cannot read is reported, never overwritten', async () => {
    writeFileSync(files.config, 'listen_port: [unclosed\n')
    expectError(await call('config'), 409, 'WEBMAIL_CONFIG_INVALID')
    expectError(await call('config', 'PUT', settings(ports[0]!)), 409, 'WEBMAIL_CONFIG_INVALID')
    expectError(await call('regen-session-key', 'POST'), 409, 'WEBMAIL_CONFIG_INVALID')
    expect(fileText()).toBe('listen_port: [unclosed\n')
    writeFileSync(files.config, 'listen_port: 99999\n')
    expect(expectError(await call('config'), 409, 'WEBMAIL_CONFIG_INVALID').detail).toMatch(/listen_port/)
  })

  it('every change is in the audit log, failed ones too', async () => {
    const entries = readFileSync(join(server.root, 'etc/backendside-mailpanel/audit.log'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string, status: number })
    for (const [action, status] of [['PUT /api/v1/webmail/config', 200], ['PUT /api/v1/webmail/config', 400], ['POST /api/v1/webmail/start', 200], ['POST /api/v1/webmail/start', 503],
      ['POST /api/v1/webmail/restart', 200], ['POST /api/v1/webmail/stop', 200], ['POST /api/v1/webmail/regen-session-key', 200]] as const) {
      expect(entries, `${action} ${status}`).toContainEqual(expect.objectContaining({ action, status }))
    }
  })
})
