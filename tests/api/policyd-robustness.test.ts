import { readdirSync, readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { encodeRequest, PolicyClient, policyRequest } from '../support/policy-client'

// Hostile and careless clients against a dedicated server, whose memory is read from /proc and
// which is shut down at the end with requests in flight.

const REQUEST_TIMEOUT_MS = 10_000
const IDLE_CONNECTIONS = 2_000
// What 2,000 idle sockets may add to the server's RSS (each is a few KiB in Node).
const IDLE_RSS_BUDGET_MB = 64
const FLOOD_REQUESTS = 20_000

let server: TestServer
let drop: () => Promise<void>
let root: string
let port: number
let pid: number
let databaseUrl: string | undefined

const get = <T>(path: string): Promise<ApiResponse<T>> => api<T>(path, { baseUrl: server.url })

/** The server process: the one whose environment carries this test's MAILPANEL_ROOT. */
function findPid(mailpanelRoot: string): number {
  for (const entry of readdirSync('/proc').filter(e => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`MAILPANEL_ROOT=${mailpanelRoot}`)) return Number(entry)
    }
    catch { /* gone, or not ours */ }
  }
  throw new Error('server process not found')
}

const rssMb = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

const openRaw = (): Promise<Socket> => new Promise((resolve, reject) => {
  const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket))
  socket.once('error', reject)
})

/** Resolves with how long the server took to close the socket (ms since `since`). */
const closedAfter = (socket: Socket, since = Date.now()): Promise<number> =>
  new Promise(resolve => socket.once('close', () => resolve(Date.now() - since)))

async function stillServes(): Promise<void> {
  const c = await PolicyClient.open(port)
  expect(await c.ask(policyRequest())).toBe('DUNNO')
  await c.close()
}

interface Status { port: number, connections: { current: number }, requests: { protocol_errors: number, timeouts: number } }

beforeAll(async () => {
  const db = await createTestDatabase()
  drop = db.drop
  databaseUrl = db.url
  root = await makeRoot()
  server = await startServer({ root, databaseUrl: db.url })
  await raiseRateLimits(server.url)
  port = (await get<Status>('/api/v1/policyd/status')).body.port
  pid = findPid(root)
})

afterAll(async () => {
  await server?.stop()
  await drop?.()
  if (root) removeRoot(root)
})

describe('policy daemon robustness', () => {
  it('closes a connection that sends garbage, and keeps serving', async () => {
    const before = (await get<Status>('/api/v1/policyd/status')).body.requests.protocol_errors
    for (const garbage of [Buffer.from([0, 1, 2, 255, 254, 10]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('no equals sign here\n\n')]) {
      const socket = await openRaw()
      const closed = closedAfter(socket)
      socket.write(garbage)
      expect(await closed).toBeLessThan(2_000)
    }
    expect((await get<Status>('/api/v1/policyd/status')).body.requests.protocol_errors).toBe(before + 3)
    await stillServes()
  })

  it('answers the valid requests before a broken line, then closes', async () => {
    const c = await PolicyClient.open(port)
    const replies = c.askRaw(encodeRequest(policyRequest()) + encodeRequest(policyRequest()) + 'broken\n', 2)
    expect(await replies).toEqual(['DUNNO', 'DUNNO'])
    await c.whenClosed()
  })

  it('closes a connection sending a 1 MB line without buffering it, and keeps serving', async () => {
    const rss = rssMb()
    const socket = await openRaw()
    const closed = closedAfter(socket)
    socket.on('error', () => {})
    socket.write(`sasl_username=${'x'.repeat(1024 * 1024)}\n\n`)
    expect(await closed).toBeLessThan(5_000)
    expect(rssMb() - rss).toBeLessThan(32)
    await stillServes()
  })

  it('holds 2,000 idle connections in bounded memory and still serves new ones', async () => {
    const rss = rssMb()
    const sockets: Socket[] = []
    try {
      // In rounds, so the listen backlog never overflows into SYN retries.
      for (let i = 0; i < IDLE_CONNECTIONS; i += 200) sockets.push(...await Promise.all(Array.from({ length: 200 }, openRaw)))
      for (const s of sockets) s.on('error', () => {})
      let current = 0
      for (let i = 0; i < 50 && current < IDLE_CONNECTIONS; i++) {
        current = (await get<Status>('/api/v1/policyd/status')).body.connections.current
        if (current < IDLE_CONNECTIONS) await new Promise(r => setTimeout(r, 100))
      }
      expect(current).toBeGreaterThanOrEqual(IDLE_CONNECTIONS)
      await stillServes()
      expect(rssMb() - rss).toBeLessThan(IDLE_RSS_BUDGET_MB)
      // Idle ones are still usable.
      const answered = await new Promise<string>((resolve) => {
        sockets[0]!.once('data', d => resolve(String(d)))
        sockets[0]!.write(encodeRequest(policyRequest()))
      })
      expect(answered).toBe('action=DUNNO\n\n')
    }
    finally {
      for (const s of sockets) s.destroy()
    }
  })

  it('times out a client that sends one byte per second (slowloris) after the request deadline', async () => {
    const socket = await openRaw()
    const started = Date.now()
    const closed = closedAfter(socket, started)
    const text = encodeRequest(policyRequest())
    let i = 0
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(text[i++ % text.length]!)
    }, 1_000)
    try {
      const after = await closed
      expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 500)
      expect(after).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000)
    }
    finally {
      clearInterval(trickle)
    }
    expect((await get<Status>('/api/v1/policyd/status')).body.requests.timeouts).toBeGreaterThanOrEqual(1)
    await stillServes()
  }, 30_000)

  it('stops reading from a client that pipelines 20,000 requests without reading replies, then answers them all', async () => {
    const rss = rssMb()
    const c = await PolicyClient.open(port)
    c.socket.pause()
    const text = encodeRequest(policyRequest()).repeat(FLOOD_REQUESTS)
    const replies = c.askRaw(text, FLOOD_REQUESTS)
    await new Promise(r => setTimeout(r, 1_000))
    expect(rssMb() - rss).toBeLessThan(64)
    c.socket.resume()
    const all = await replies
    expect(all.length).toBe(FLOOD_REQUESTS)
    expect(all.every(a => a === 'DUNNO')).toBe(true)
    await c.close()
  }, 60_000)

  it('answers a request from a client that half-closes right after sending it', async () => {
    const socket = await openRaw()
    let data = ''
    socket.on('data', d => (data += d))
    const closed = closedAfter(socket)
    socket.end(encodeRequest(policyRequest()))
    await closed
    expect(data).toBe('action=DUNNO\n\n')
  })

  it('on shutdown answers the requests it has received (their counts reach the database), then exits', async () => {
    const domain = await api<{ id: number }>('/api/v1/domains', { baseUrl: server.url, body: { name: 'shutdown.example' } })
    const mailbox = await api<{ id: number }>('/api/v1/mailboxes', { baseUrl: server.url, body: { domain_id: domain.body.id, username: 'bulk', password: 'mailbox-pass-123' } })
    await api(`/api/v1/mailboxes/${mailbox.body.id}/config`, { baseUrl: server.url, method: 'PUT', body: { daily_send_limit: 0 } })
    const c = await PolicyClient.open(port)
    const eom = policyRequest({ sasl_username: 'bulk@shutdown.example', protocol_state: 'END-OF-MESSAGE', recipient_count: '1' })
    // Warm the limits cache, then send 30 messages in one write and shut down once the first is answered.
    expect(await c.ask(policyRequest({ sasl_username: 'bulk@shutdown.example' }))).toBe('DUNNO')
    const replies: string[] = []
    const all = c.askRaw(encodeRequest(eom).repeat(30), 30)
    const first = new Promise<void>(resolve => c.socket.once('data', () => resolve()))
    all.then(r => replies.push(...r), () => {})
    await first
    const stopped = server.stop()
    await c.whenClosed()
    await stopped
    await all.catch(() => {})
    expect(replies).toHaveLength(30)
    expect(replies.every(r => r === 'DUNNO')).toBe(true)
    // No new connections once it is gone.
    await expect(PolicyClient.open(port)).rejects.toThrow(/ECONNREFUSED/)
    // Started again on the same database: all 30 were counted before the pool closed.
    server = await startServer({ root, databaseUrl })
    const status = await get<{ usage: { top: { address: string, sent: number }[] } }>('/api/v1/policyd/status')
    expect(status.body.usage.top).toContainEqual(expect.objectContaining({ address: 'bulk@shutdown.example', sent: 30 }))
  })
})
