import { lookup } from 'node:dns/promises'
import { createServer, type Server } from 'node:http'
import { hostname } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse, type RequestOptions, uniqueDomain } from '../support/client'
import { expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

// Its own server: these tests change webhook_allowed_ranges, which the shared server's webhook tests rely on.
let server: TestServer
let dropDatabase: () => Promise<void>

const REFUSED = 'url: the receiver must be a public address; this host is not one or does not resolve to public addresses only. To deliver inside your own network, add its range to webhook_allowed_ranges in the security settings.'
const POLICY_ERROR = 'receiver refused by address policy'

const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) => api<T>(path, { ...opts, baseUrl: server.url })
const register = (url: string) => call<{ id: number }>('/api/v1/admin/webhooks', { body: { url } })
const allow = async (ranges: string[]) => expect((await call('/api/v1/security/settings', { method: 'PUT', body: { webhook_allowed_ranges: ranges } })).status).toBe(200)
const stored = async () => (await call<{ data: { id: number, url: string }[] }>('/api/v1/admin/webhooks?limit=500')).body.data
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** A receiver on 127.0.0.1 that counts every request, whatever it carries. */
async function receiver(): Promise<{ port: number, hits: () => number, close: () => Promise<void> }> {
  let hits = 0
  const srv: Server = createServer((req, res) => {
    hits++
    req.resume()
    req.on('end', () => res.writeHead(200).end())
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  return {
    port: (srv.address() as { port: number }).port,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => {
      srv.closeAllConnections()
      srv.close(() => resolve())
    }),
  }
}

async function waitForStatus(id: number, status: string): Promise<Record<string, unknown>> {
  let hook: Record<string, unknown> = {}
  for (let i = 0; i < 100 && hook.last_status !== status; i++) {
    hook = (await call(`/api/v1/admin/webhooks/${id}`)).body
    if (hook.last_status !== status) await sleep(50)
  }
  return hook
}

beforeAll(async () => {
  const db = await createTestDatabase()
  dropDatabase = db.drop
  server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
  await raiseRateLimits(server.url)
})

afterAll(async () => {
  await server?.stop()
  await dropDatabase?.()
  if (server) removeRoot(server.root)
})

// The machine's own name resolves to loopback on most installs (Debian: 127.0.1.1 in /etc/hosts).
const OWN_NAME = hostname()
const OWN_NAME_IS_LOCAL = await lookup(OWN_NAME, { all: true })
  .then(list => list.length > 0 && list.every(a => /^(?:127\.|::1$|::ffff:127\.)/.test(a.address)))
  .catch(() => false)

// Every way of writing an address the panel must not call on a user's say-so.
const SPELLINGS = [
  'http://127.0.0.1/hook',
  'http://127.0.0.1:8080/hook',
  'https://127.0.0.2/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0x7f.0.0.1/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://127.0.0.1./',
  'http://%31%32%37.0.0.1/',
  'HTTP://127.0.0.1/',
  'http://[::1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::FFFF:7F00:1]/',
  'http://[64:ff9b::127.0.0.1]/',
  'http://[64:ff9b::a00:1]/',
  'http://[2002:7f00:1::]/',
  'http://[2002:c0a8:101::1]/',
  'http://localhost/',
  'http://LOCALHOST/',
  'http://localhost./',
  'http://api.localhost/',
  'http://169.254.169.254/latest/meta-data/',
  'http://2852039166/',
  'http://[fe80::1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://0/',
  'http://[::]/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://192.0.2.1/',
  // A name that does not resolve gets the same answer: a 400 never tells which names exist inside.
  'https://hooks.invalid/',
]

describe('webhook receivers: the address policy (SSRF)', () => {
  it('refuses every spelling of a non-public address at registration with one generic 400, storing nothing', async () => {
    const before = await stored()
    for (const url of SPELLINGS) {
      const res = await register(url)
      expect(expectValidation(res, 'url').detail, url).toBe(REFUSED)
    }
    expect(await stored()).toEqual(before)
  })

  it('refuses credentials in the URL, whichever host they hide', async () => {
    for (const url of ['http://good@127.0.0.1/', 'http://good:pw@127.0.0.1/', 'http://hooks.example.com@127.0.0.1/', 'http://127.0.0.1@hooks.example.com/']) {
      const res: ApiResponse = await register(url)
      expect(expectValidation(res, 'url').detail, url).toMatch(/without credentials/)
    }
  })

  it.skipIf(!OWN_NAME_IS_LOCAL)(`refuses a name that resolves to this machine through the system resolver (${OWN_NAME}; skipped where it does not resolve to loopback)`, async () => {
    expect(expectValidation(await register(`http://${OWN_NAME}:8080/hook`), 'url').detail).toBe(REFUSED)
  })

  it('shows the allowance in the security settings, empty by default, and validates it like the allowlists', async () => {
    expect((await call('/api/v1/security/settings')).body).toMatchObject({ webhook_allowed_ranges: [] })
    expectValidation(await call('/api/v1/security/settings', { method: 'PUT', body: { webhook_allowed_ranges: ['127.0.0.1/33'] } }), 'webhook_allowed_ranges')
    expectValidation(await call('/api/v1/security/settings', { method: 'PUT', body: { webhook_allowed_ranges: ['localhost'] } }), 'webhook_allowed_ranges')
  })

  it('delivers to a loopback receiver once its range is allowed, and never to unspecified or multicast addresses', async () => {
    const rx = await receiver()
    try {
      await allow(['127.0.0.1/32'])
      const created = await register(`http://127.0.0.1:${rx.port}/hook`)
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      // The allowance is a range, not a switch: outside it the policy holds.
      expect(expectValidation(await register('http://127.0.0.2/'), 'url').detail).toBe(REFUSED)
      expect(expectValidation(await register('http://10.0.0.1/'), 'url').detail).toBe(REFUSED)
      expect((await call('/api/v1/domains', { body: { name: uniqueDomain('ssrf') } })).status).toBe(201)
      expect(await waitForStatus(created.body.id, 'delivered')).toMatchObject({ last_status: 'delivered', last_error: null })
      expect(rx.hits()).toBeGreaterThanOrEqual(1)

      await allow(['0.0.0.0/0', '::/0'])
      for (const url of ['http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://255.255.255.255/']) {
        expect(expectValidation(await register(url), 'url').detail, url).toBe(REFUSED)
      }
      expect((await call(`/api/v1/admin/webhooks/${created.body.id}`, { method: 'DELETE' })).status).toBe(200)
    }
    finally {
      await allow([])
      await rx.close()
    }
  })

  it('checks again at delivery: once the allowance is gone, no request reaches the receiver and last_error is the policy text', async () => {
    const rx = await receiver()
    try {
      await allow(['127.0.0.0/8'])
      const created = await register(`http://127.0.0.1:${rx.port}/hook`)
      expect(created.status).toBe(201)
      await allow([])
      expect((await call('/api/v1/domains', { body: { name: uniqueDomain('ssrfx') } })).status).toBe(201)
      const hook = await waitForStatus(created.body.id, 'retrying')
      expect(hook).toMatchObject({ last_status: 'retrying', last_error: POLICY_ERROR })
      await sleep(300)
      expect(rx.hits()).toBe(0)
      expect((await call(`/api/v1/admin/webhooks/${created.body.id}`, { method: 'DELETE' })).status).toBe(200)
    }
    finally {
      await rx.close()
    }
  })
})
