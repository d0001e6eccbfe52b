import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type RequestOptions } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import type { FirewallStatus } from '#shared/types/firewall'

// The built server without iptables on its PATH (the API suite's PATH has no sbin folders): so no
// request here can change this machine's firewall, and a valid change is 409 CAPABILITY_MISSING.
// The kernel side is the system suite's (tests/system/firewall.test.ts, in a network namespace).
const SAVED = { version: 1, chain: 'BSMP_FW', updated_at: '2026-12-01T00:00:00.000Z', ports: [{ port: 25, mode: 'block', addresses: [] }, { port: 143, mode: 'restrict', addresses: ['192.0.2.0/24'] }] }

describe('GET/PUT /api/v1/security/firewall', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let configDir: string
  let statePath: string
  let saved: string
  let panelPort: number

  const call = <T = Record<string, unknown>>(opts: RequestOptions = {}) => api<T>('/api/v1/security/firewall', { ...opts, baseUrl: server.url })
  const put = (body: unknown) => call({ method: 'PUT', body })
  const expectUnchanged = () => {
    expect(readFileSync(statePath, 'utf8')).toBe(saved)
    expect(readdirSync(configDir).filter(f => f.endsWith('.tmp'))).toEqual([])
  }

  beforeAll(async () => {
    db = await createTestDatabase()
    const root = await makeRoot()
    configDir = join(root, 'etc/backendside-mailpanel')
    statePath = join(configDir, 'firewall.json')
    saved = `${JSON.stringify(SAVED, null, 2)}\n`
    writeFileSync(statePath, saved, { mode: 0o600 })
    server = await startServer({ root, databaseUrl: db.url })
    await raiseRateLimits(server.url)
    panelPort = Number(new URL(server.url).port)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  it('says at start that firewall.json could not be applied without iptables, and starts anyway', () => {
    expect(server.output()).toMatch(/Firewall: firewall\.json not applied: iptables\S* is not installed on this server: install the iptables package/)
  })

  it('lists every managed port with its rule, the panel port last, and the caller\'s address', async () => {
    const res = await call<FirewallStatus>()
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ chain: 'BSMP_FW', panel_port: panelPort, your_address: '127.0.0.1', available: false, saved: true, problem: null })
    expect(res.body.ports.map(p => [p.port, p.mode, p.service])).toEqual([
      [25, 'block', 'SMTP'], [465, 'allow', 'SMTPS (submission over TLS)'], [587, 'allow', 'Submission'], [993, 'allow', 'IMAPS'],
      [995, 'allow', 'POP3S'], [143, 'restrict', 'IMAP'], [110, 'allow', 'POP3'], [panelPort, 'allow', 'Panel'],
    ])
    expect(res.body.ports.find(p => p.port === 143)!.addresses).toEqual(['192.0.2.0/24'])
    expect(res.body.ports.filter(p => p.panel).map(p => p.port)).toEqual([panelPort])
  })

  it.each([
    ['a CIDR prefix out of range', { ports: [{ port: 25, mode: 'restrict', addresses: ['203.0.113.0/33'] }] }, 'ports.0.addresses.0'],
    ['an IPv6 address with a zone id', { ports: [{ port: 25, mode: 'restrict', addresses: ['fe80::1%eth0'] }] }, 'ports.0.addresses.0'],
    ['a host name', { ports: [{ port: 25, mode: 'restrict', addresses: ['mail.example.com'] }] }, 'ports.0.addresses.0'],
    ['a port the panel does not manage', { ports: [{ port: 22, mode: 'block' }] }, 'ports.0.port'],
    ['more addresses than a port may list', { ports: [{ port: 25, mode: 'restrict', addresses: Array.from({ length: 101 }, (_, i) => `198.51.100.${i}`) }] }, 'ports.0.addresses'],
    ['restrict without an address', { ports: [{ port: 993, mode: 'restrict', addresses: [] }] }, 'ports.0.addresses'],
    ['an unknown mode', { ports: [{ port: 25, mode: 'reject' }] }, 'ports.0.mode'],
    ['the same port twice', { ports: [{ port: 25, mode: 'block' }, { port: 25, mode: 'allow' }] }, 'ports'],
    ['a field it does not know', { ports: [], flush: true }, 'flush'],
    ['no ports list', {}, 'ports'],
  ])('refuses %s with 400, applies nothing and leaves firewall.json as it was', async (_, body, field) => {
    expectValidation(await put(body), field)
    expectUnchanged()
  })

  it('names the package when iptables is missing: 409 CAPABILITY_MISSING, nothing saved', async () => {
    const err = expectError(await put({ ports: [{ port: 587, mode: 'block' }] }), 409, 'CAPABILITY_MISSING')
    expect(err.detail).toContain('install the iptables package')
    expectUnchanged()
  })

  it('answers a caller without credentials, or with a wrong key, 401 before looking at the body', async () => {
    expectError(await call({ auth: false }), 401, 'UNAUTHORIZED')
    expectError(await call({ method: 'PUT', body: { ports: 'nonsense' }, auth: false }), 401, 'UNAUTHORIZED')
    expectError(await call({ method: 'PUT', body: { ports: [] }, headers: { 'x-api-key': 'not-the-key' } }), 401, 'UNAUTHORIZED')
    expectUnchanged()
  })

  it('writes every change attempt to the audit log, refused ones with their status', async () => {
    const lines = readFileSync(join(configDir, 'audit.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { action: string, status: number, actor: string })
    const mine = lines.filter(l => l.action === 'PUT /api/v1/security/firewall')
    expect(mine.map(l => l.status)).toEqual(expect.arrayContaining([400, 409, 401]))
    expect(mine.find(l => l.status === 409)!.actor).not.toBe('anonymous')
  })

  it('reports a damaged firewall.json instead of failing, and shows every port as allow', async () => {
    writeFileSync(statePath, '{"ports": [{"port": 25, "mode": "drop"}]}')
    try {
      const res = await call<FirewallStatus>()
      expect(res.status).toBe(200)
      expect(res.body.problem).toMatch(/firewall\.json is not valid \(ports\.0\.mode: .*\); its rules are not applied until it is saved again/)
      expect(res.body.ports.every(p => p.mode === 'allow')).toBe(true)
    }
    finally {
      writeFileSync(statePath, saved)
    }
  })
})
