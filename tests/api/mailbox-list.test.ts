import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

// The unfiltered list is served from a cached layout of per-domain counts: a dedicated server, so
// totals and positions are exact, while mailboxes and domains come and go between reads.
describe('unfiltered mailbox list (cached layout)', () => {
  let server: TestServer
  let drop: () => Promise<void>
  const call = <T = Record<string, unknown>>(path: string, opts: Parameters<typeof api>[1] = {}) => api<T>(path, { ...opts, baseUrl: server.url })

  beforeAll(async () => {
    const db = await createTestDatabase()
    drop = db.drop
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
    await raiseRateLimits(server.url)
  })

  afterAll(async () => {
    await server?.stop()
    await drop?.()
    if (server) removeRoot(server.root)
  })

  async function addDomain(name: string, users: string[]): Promise<number> {
    const d = await call<{ id: number }>('/api/v1/domains', { body: { name } })
    for (const username of users) {
      expect((await call('/api/v1/mailboxes', { body: { domain_id: d.body.id, username, password: 'list-test-pass' } })).status).toBe(201)
    }
    return d.body.id
  }

  type Page = { data: { address: string }[], meta: { total: number } }

  /** Every page of size `limit`, concatenated, must equal the single-page listing, in address order. */
  async function expectConsistent(expected: string[]): Promise<void> {
    const whole = await call<Page>('/api/v1/mailboxes?limit=500')
    expect(whole.body.data.map(m => m.address)).toEqual(expected)
    expect(whole.body.meta.total).toBe(expected.length)
    for (const limit of [1, 2, 3, 7]) {
      const seen: string[] = []
      for (let page = 1; page <= Math.ceil(expected.length / limit) + 1; page++) {
        const res = await call<Page>(`/api/v1/mailboxes?limit=${limit}&page=${page}`)
        expect(res.body.meta.total).toBe(expected.length)
        seen.push(...res.body.data.map(m => m.address))
      }
      expect(seen).toEqual(expected)
    }
  }

  it('orders by domain then local part and stays exact through creates and deletes', async () => {
    await expectConsistent([])
    const b = await addDomain('b-list.example', ['zed', 'amy', 'kim'])
    await addDomain('a-list.example', ['joe'])
    const c = await addDomain('c-list.example', [])
    await expectConsistent(['joe@a-list.example', 'amy@b-list.example', 'kim@b-list.example', 'zed@b-list.example'])

    expect((await call('/api/v1/mailboxes', { body: { domain_id: c, username: 'ann', password: 'list-test-pass' } })).status).toBe(201)
    const kim = (await call<{ data: { id: number, address: string }[] }>('/api/v1/mailboxes?search=kim@')).body.data[0]!
    expect((await call(`/api/v1/mailboxes/${kim.id}`, { method: 'DELETE' })).status).toBe(200)
    await expectConsistent(['joe@a-list.example', 'amy@b-list.example', 'zed@b-list.example', 'ann@c-list.example'])

    expect((await call(`/api/v1/domains/${b}`, { method: 'DELETE' })).status).toBe(200)
    await expectConsistent(['joe@a-list.example', 'ann@c-list.example'])
  })
})
