import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { PolicyClient, policyRequest } from '../support/policy-client'
import { sharedDatabase } from '../support/shared-database'

// Two panel processes on one database, as two nodes behind one Postfix (or two Postfix hosts).

// The limits cache re-reads the version at most once a second (VERSION_TTL_MS); allow the query and scheduling on top.
const CROSS_PROCESS_BOUND_MS = 1_000 + 750

let db: { url: string, close: () => Promise<void> }
const servers: TestServer[] = []
const roots: string[] = []
const ports: number[] = []

const call = <T>(n: number, path: string, opts: Parameters<typeof api>[1] = {}): Promise<ApiResponse<T>> => api<T>(path, { ...opts, baseUrl: servers[n]!.url })
const eom = (login: string) => policyRequest({ sasl_username: login, protocol_state: 'END-OF-MESSAGE', recipient_count: '1' })
const rcpt = (login: string) => policyRequest({ sasl_username: login })

beforeAll(async () => {
  db = await sharedDatabase()
  for (let n = 0; n < 2; n++) {
    roots.push(await makeRoot())
    // One after the other: the second finds the migrations applied.
    servers.push(await startServer({ root: roots[n]!, databaseUrl: db.url }))
    await raiseRateLimits(servers[n]!.url)
    ports.push((await call<{ port: number }>(n, '/api/v1/policyd/status')).body.port)
  }
}, 180_000)

afterAll(async () => {
  await Promise.all(servers.map(s => s.stop()))
  await db?.close()
  roots.forEach(removeRoot)
})

async function mailbox(username: string, config: Record<string, unknown>): Promise<{ id: number, login: string }> {
  const domain = await call<{ id: number }>(0, '/api/v1/domains', { body: { name: `${username}.cluster.example` } })
  const created = await call<{ id: number }>(0, '/api/v1/mailboxes', { body: { domain_id: domain.body.id, username, password: 'mailbox-pass-123' } })
  if (Object.keys(config).length) expect((await call(0, `/api/v1/mailboxes/${created.body.id}/config`, { method: 'PUT', body: config })).status).toBe(200)
  return { id: created.body.id, login: `${username}@${username}.cluster.example` }
}

describe('two panel processes sharing the database', () => {
  it('grant exactly the daily limit between them to 400 concurrent messages of one mailbox', async () => {
    const { id, login } = await mailbox('shared', { daily_send_limit: 77 })
    const clients = await Promise.all(Array.from({ length: 40 }, (_, i) => PolicyClient.open(ports[i % 2]!)))
    try {
      const replies = (await Promise.all(clients.map(c => Promise.all(Array.from({ length: 10 }, () => c.ask(eom(login))))))).flat()
      expect(replies.filter(r => r === 'DUNNO').length).toBe(77)
      expect(replies.filter(r => /^450 4\.7\.1 /.test(r)).length).toBe(323)
    }
    finally {
      await Promise.all(clients.map(c => c.close()))
    }
    for (const n of [0, 1]) {
      const status = await call<{ usage: { top: { mailbox_id: number, sent: number }[] } }>(n, '/api/v1/policyd/status')
      expect(status.body.usage.top).toContainEqual(expect.objectContaining({ mailbox_id: id, sent: 77 }))
    }
  })

  it('see a count reset made through the other process at once (counts are never cached)', async () => {
    const { id, login } = await mailbox('reset', { daily_send_limit: 1 })
    const b = await PolicyClient.open(ports[1]!)
    expect(await b.ask(eom(login))).toBe('DUNNO')
    expect(await b.ask(rcpt(login))).toMatch(/^450 /)
    expect((await call(0, `/api/v1/policyd/reset/${id}`, { method: 'POST' })).status).toBe(200)
    expect(await b.ask(rcpt(login))).toBe('DUNNO')
    await b.close()
  })

  it('apply a limit change made through one process in the other within the documented bound, and at once in the first', async () => {
    const { id, login } = await mailbox('change', {})
    const [a, b] = await Promise.all([PolicyClient.open(ports[0]!), PolicyClient.open(ports[1]!)])
    expect(await a.ask(rcpt(login))).toBe('DUNNO')
    expect(await b.ask(rcpt(login))).toBe('DUNNO')
    const changed = Date.now()
    expect((await call(0, `/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: { smtp_enabled: false } })).status).toBe(200)
    expect(await a.ask(rcpt(login))).toMatch(/^550 5\.7\.1 /)
    let seenAfter = -1
    while (Date.now() - changed < CROSS_PROCESS_BOUND_MS + 2_000) {
      if (/^550 /.test(await b.ask(rcpt(login)))) {
        seenAfter = Date.now() - changed
        break
      }
      await new Promise(r => setTimeout(r, 25))
    }
    expect(seenAfter).toBeGreaterThanOrEqual(0)
    expect(seenAfter).toBeLessThanOrEqual(CROSS_PROCESS_BOUND_MS)
    await Promise.all([a.close(), b.close()])
  })
})
