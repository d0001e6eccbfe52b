import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { expectError } from '../support/expect'
import { makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { PolicyClient, policyRequest } from '../support/policy-client'
import { sharedDatabase } from '../support/shared-database'

// The panel reaches its database through a TCP proxy owned by the test: closing the proxy makes
// PostgreSQL unreachable for the panel (connection refused) without touching the database, and
// "hanging" it makes the database stop answering (the policy daemon's own deadline applies).

const DB_DEADLINE_MS = 3_000
const DEFER = /^451 4\.3\.0 Sending limits cannot be checked right now; try again later$/

/** A TCP proxy that can be closed (refuse), hung (accept, forward nothing) and reopened on the same port. */
class DbProxy {
  private server: Server | undefined
  private sockets = new Set<Socket>()
  private hung = false
  private pairs: [Socket, Socket][] = []
  port = 0

  constructor(private readonly target: { host: string, port: number }) {}

  async open(): Promise<void> {
    this.hung = false
    this.server = createServer((client) => {
      this.track(client)
      if (this.hung) return
      const upstream = connect(this.target)
      this.track(upstream)
      client.pipe(upstream)
      upstream.pipe(client)
      this.pairs.push([client, upstream])
    })
    await new Promise<void>(resolve => this.server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
  }

  /** Connection refused from now on; open connections are cut. */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    // Stop accepting first, then cut: a connection accepted after the cut (the panel reconnecting
    // while the proxy hangs) would otherwise keep server.close() waiting for ever.
    const closed = server ? new Promise(resolve => server.close(resolve)) : Promise.resolve()
    this.cut()
    await closed
  }

  /** Nothing is forwarded any more, on open connections or new ones; nothing is closed either. */
  hang(): void {
    this.hung = true
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream)
      upstream.unpipe(client)
      client.pause()
      upstream.pause()
    }
  }

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => this.sockets.delete(socket))
  }

  private cut(): void {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    this.pairs = []
  }
}

let db: { url: string, close: () => Promise<void> }
let proxy: DbProxy
let server: TestServer
let root: string
let port: number

const call = <T>(path: string, opts: Parameters<typeof api>[1] = {}): Promise<ApiResponse<T>> => api<T>(path, { ...opts, baseUrl: server.url })

/** Waits (up to 45 s, slack for a busy CI machine) until the API answers again after the proxy reopens. */
async function waitForApi(): Promise<void> {
  for (let i = 0; i < 450; i++) {
    // The status endpoint runs three queries at once, so the pool has reconnected more than one connection.
    if ((await call('/api/v1/policyd/status')).status === 200) return
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error('the API did not recover after the database came back')
}

/** Asks and measures; the answer must never take longer than the daemon's database deadline (+ slack). */
async function timedAsk(c: PolicyClient, attrs: Record<string, string>): Promise<{ action: string, ms: number }> {
  const started = Date.now()
  const action = await c.ask(attrs)
  return { action, ms: Date.now() - started }
}

const rcpt = (login: string) => policyRequest({ sasl_username: login })
const eom = (login: string) => policyRequest({ sasl_username: login, protocol_state: 'END-OF-MESSAGE', recipient_count: '1' })

beforeAll(async () => {
  db = await sharedDatabase()
  const target = new URL(db.url)
  proxy = new DbProxy({ host: target.hostname, port: Number(target.port || 5432) })
  await proxy.open()
  const viaProxy = new URL(db.url)
  viaProxy.port = String(proxy.port)
  root = await makeRoot()
  server = await startServer({ root, databaseUrl: viaProxy.toString() })
  await raiseRateLimits(server.url)
  port = (await call<{ port: number }>('/api/v1/policyd/status')).body.port
  const domain = await call<{ id: number }>('/api/v1/domains', { body: { name: 'failmode.example' } })
  for (const [username, config] of [['limited', { daily_send_limit: 5 }], ['blocked', { smtp_enabled: false }], ['cold', {}]] as const) {
    const mailbox = await call<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username, password: 'mailbox-pass-123' } })
    await call(`/api/v1/mailboxes/${mailbox.body.id}/config`, { method: 'PUT', body: config })
  }
}, 120_000)

afterAll(async () => {
  await server?.stop()
  await proxy?.close()
  await db?.close()
  if (root) removeRoot(root)
})

describe('policyd_fail_mode: PostgreSQL unreachable', () => {
  it('defer: authenticated senders get a 4xx, limits still cached are enforced, unauthenticated mail flows, the API says 503', async () => {
    expect((await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'defer' } })).status).toBe(200)
    const c = await PolicyClient.open(port)
    // Warm the cache for two senders; "cold" is never looked up before the outage.
    expect(await c.ask(rcpt('limited@failmode.example'))).toBe('DUNNO')
    expect(await c.ask(rcpt('blocked@failmode.example'))).toMatch(/^550 5\.7\.1 /)

    await proxy.close()
    for (const attrs of [rcpt('limited@failmode.example'), eom('limited@failmode.example'), rcpt('cold@failmode.example')]) {
      const { action, ms } = await timedAsk(c, attrs)
      expect(action).toMatch(DEFER)
      expect(ms).toBeLessThan(DB_DEADLINE_MS + 1_000)
    }
    // Needs no count: refused from the cached limits, as before the outage.
    expect(await c.ask(rcpt('blocked@failmode.example'))).toMatch(/^550 5\.7\.1 /)
    expect(await c.ask(policyRequest({ sasl_username: '' }))).toBe('DUNNO')
    expectError(await call('/api/v1/policyd/status'), 503, 'SERVICE_UNAVAILABLE')

    await proxy.open()
    await waitForApi()
    // Back to normal; the deferred END-OF-MESSAGE was not counted.
    expect(await c.ask(eom('limited@failmode.example'))).toBe('DUNNO')
    const status = await call<{ reasons: Record<string, number>, usage: { top: { address: string, sent: number }[] } }>('/api/v1/policyd/status')
    expect(status.body.reasons.database_unavailable).toBeGreaterThanOrEqual(3)
    expect(status.body.usage.top).toContainEqual(expect.objectContaining({ address: 'limited@failmode.example', sent: 1 }))
    await c.close()
  }, 60_000)

  it('dunno: authenticated senders pass unchecked while the database is down', async () => {
    expect((await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'dunno' } })).status).toBe(200)
    expect((await call('/api/v1/policyd/settings')).body).toEqual({ policyd_fail_mode: 'dunno' })
    const c = await PolicyClient.open(port)
    await proxy.close()
    for (const attrs of [rcpt('limited@failmode.example'), eom('limited@failmode.example'), rcpt('cold@failmode.example')]) {
      expect(await c.ask(attrs)).toBe('DUNNO')
    }
    expect(await c.ask(rcpt('blocked@failmode.example'))).toMatch(/^550 5\.7\.1 /)
    await proxy.open()
    await waitForApi()
    await c.close()
  }, 60_000)

  it('a database that accepts but never answers is given up on after the deadline, per the fail mode', async () => {
    expect((await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'defer' } })).status).toBe(200)
    const c = await PolicyClient.open(port)
    proxy.hang()
    const { action, ms } = await timedAsk(c, eom('limited@failmode.example'))
    expect(action).toMatch(DEFER)
    expect(ms).toBeGreaterThanOrEqual(DB_DEADLINE_MS - 100)
    expect(ms).toBeLessThan(DB_DEADLINE_MS + 1_500)
    await proxy.close()
    await proxy.open()
    await waitForApi()
    expect(await c.ask(rcpt('limited@failmode.example'))).toBe('DUNNO')
    await c.close()
  }, 60_000)
})
