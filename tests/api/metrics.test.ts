import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, bearer, type ApiResponse } from '../support/client'
import { expectError } from '../support/expect'
import { PolicyClient, policyRequest } from '../support/policy-client'
import { parseExposition, sampleValue, type Sample } from '../support/prometheus'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

const METRICS_TOKEN = `metrics-${randomBytes(24).toString('hex')}`
const ID_IN_PATH = /\/\d+(?:\/|$)/

let server: TestServer
let drop: () => Promise<void>

beforeAll(async () => {
  const db = await createTestDatabase()
  drop = db.drop
  const root = await makeRoot({ METRICS_TOKEN })
  server = await startServer({ root, databaseUrl: db.url })
  await raiseRateLimits(server.url)
})

afterAll(async () => {
  const root = server?.root
  await server?.stop()
  await drop?.()
  if (root) removeRoot(root)
})

const call = <T = Record<string, unknown>>(path: string, opts: Parameters<typeof api>[1] = {}): Promise<ApiResponse<T>> => api<T>(path, { ...opts, baseUrl: server.url })

/** GET /metrics with the scraper's token, parsed strictly (any line that is not HELP/TYPE/sample throws). */
async function scrape(): Promise<{ text: string, samples: Sample[], types: Map<string, string> }> {
  const res = await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) })
  expect(res.status).toBe(200)
  const text = await res.text()
  return { text, ...parseExposition(text) }
}

describe('GET /metrics: who may read it', () => {
  it('is a 401 in the error envelope without credentials, or with a wrong token', async () => {
    expectError(await call('/metrics', { auth: false }), 401, 'UNAUTHORIZED')
    expectError(await call('/metrics', { auth: false, headers: bearer(`${METRICS_TOKEN}x`) }), 401, 'UNAUTHORIZED')
    expectError(await call('/metrics', { auth: false, headers: { 'x-api-key': 'bsmp_wrong' } }), 401, 'UNAUTHORIZED')
  })

  it('is a 401 in the envelope even for a browser asking for HTML', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { accept: 'text/html' } })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('UNAUTHORIZED')
  })

  it('answers the METRICS_TOKEN bearer with the text exposition', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('answers an admin\'s API key and session as well', async () => {
    expect((await call('/metrics')).status).toBe(200)
    const login = await call<{ token: string }>('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false })
    expect((await call('/metrics', { headers: bearer(login.body.token) })).status).toBe(200)
  })

  it('refuses the token from an address outside api_key_whitelist (403), like every automation credential', async () => {
    const login = await call<{ token: string }>('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false })
    const session = bearer(login.body.token)
    expect((await call('/api/v1/security/settings', { method: 'PUT', headers: session, body: { api_key_whitelist: ['192.0.2.1'] } })).status).toBe(200)
    try {
      expectError(await call('/metrics', { auth: false, headers: bearer(METRICS_TOKEN) }), 403, 'IP_NOT_ALLOWED')
    }
    finally {
      expect((await call('/api/v1/security/settings', { method: 'PUT', headers: session, body: { api_key_whitelist: [] } })).status).toBe(200)
    }
  })
})

describe('GET /metrics: what it shows', () => {
  it('counts requests by route pattern and status, never by raw path', async () => {
    const domain = await call<{ id: number }>('/api/v1/domains', { body: { name: `metrics${Date.now()}.example` } })
    expect(domain.status).toBe(201)
    const before = sampleValue((await scrape()).samples, 'mailpanel_http_requests_total', { method: 'GET', route: '/api/v1/domains/:id', status: '200' }) ?? 0
    for (let i = 0; i < 3; i++) expect((await call(`/api/v1/domains/${domain.body.id}`)).status).toBe(200)
    expect((await call('/api/v1/domains/2147483000')).status).toBe(404)
    const { samples } = await scrape()
    expect(sampleValue(samples, 'mailpanel_http_requests_total', { method: 'GET', route: '/api/v1/domains/:id', status: '200' })).toBe(before + 3)
    expect(sampleValue(samples, 'mailpanel_http_requests_total', { method: 'GET', route: '/api/v1/domains/:id', status: '404' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'mailpanel_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/domains/:id' })).toBeGreaterThanOrEqual(before + 4)
    expect(sampleValue(samples, 'mailpanel_http_request_duration_seconds_bucket', { method: 'GET', route: '/api/v1/domains/:id', le: '+Inf' })).toBeGreaterThanOrEqual(before + 4)
    const routes = new Set(samples.filter(s => s.labels.route !== undefined).map(s => s.labels.route!))
    expect(routes.has('/api/v1/domains')).toBe(true)
    for (const route of routes) expect(route, route).not.toMatch(ID_IN_PATH)
  })

  it('names the route of a 401 and of an unknown API path by pattern too', async () => {
    expect((await call('/api/v1/mailboxes/12345', { auth: false })).status).toBe(401)
    expect((await call('/api/v1/no-such-thing/98765')).status).toBe(404)
    const { samples } = await scrape()
    expect(sampleValue(samples, 'mailpanel_http_requests_total', { route: '/api/v1/mailboxes/:id', status: '401' })).toBeGreaterThanOrEqual(1)
    for (const s of samples) if (s.labels.route) expect(s.labels.route).not.toContain('no-such-thing')
  })

  it('shows the start-up reconcile run, the mail counters, and the process metrics', async () => {
    const { samples, types } = await scrape()
    // The API suite's servers have no Postfix on PATH: the run is recorded ok, the stack unmanaged or skipped.
    expect(sampleValue(samples, 'mailpanel_reconcile_runs_total', { trigger: 'start', result: 'ok' })).toBe(1)
    expect(sampleValue(samples, 'mailpanel_reconcile_duration_seconds_count', { trigger: 'start' })).toBe(1)
    for (const kind of ['received', 'sent', 'delivered', 'deferred', 'bounced', 'rejected']) {
      expect(sampleValue(samples, 'mailpanel_mail_messages_last_hour', { kind }), kind).toBe(0)
      expect(sampleValue(samples, 'mailpanel_mail_messages_last_24h', { kind }), kind).toBe(0)
    }
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter')
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge')
  })

  it('leaves the queue gauge out when there is no postqueue (not an error)', async () => {
    const { samples, types } = await scrape()
    expect(types.get('mailpanel_mail_queue_messages')).toBe('gauge')
    expect(samples.filter(s => s.name === 'mailpanel_mail_queue_messages')).toEqual([])
  })

  it('counts policy decisions by kind and reason', async () => {
    const status = await call<{ port: number }>('/api/v1/policyd/status')
    const client = await PolicyClient.open(status.body.port)
    try {
      expect(await client.ask(policyRequest({ sasl_username: undefined }))).toBe('DUNNO')
      expect(await client.ask(policyRequest({ sasl_username: 'nobody@nowhere.example' }))).toBe('DUNNO')
    }
    finally {
      await client.close()
    }
    const { samples } = await scrape()
    expect(sampleValue(samples, 'mailpanel_policyd_decisions_total', { kind: 'dunno' })).toBeGreaterThanOrEqual(2)
    expect(sampleValue(samples, 'mailpanel_policyd_decision_reasons_total', { reason: 'unauthenticated' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'mailpanel_policyd_decision_reasons_total', { reason: 'unknown_sender' })).toBeGreaterThanOrEqual(1)
  })

  it.runIf(process.env.DATABASE_URL)('shows the panel\'s database connections by state (needs a real PostgreSQL server: DATABASE_URL)', async () => {
    const { samples } = await scrape()
    const connections = samples.filter(s => s.name === 'mailpanel_db_connections')
    expect(connections.length).toBeGreaterThan(0)
    for (const s of connections) expect(s.value).toBeGreaterThanOrEqual(0)
  })

  it('carries no secret: not the tokens, the JWT secret, the admin hash or the database URL', async () => {
    const { text } = await scrape()
    const config = readFileSync(join(server.root, 'etc/backendside-mailpanel/config.env'), 'utf8')
    const secrets = [METRICS_TOKEN, LEGACY_API_KEY, ...[...config.matchAll(/^(?:JWT_SECRET|ADMIN_PASSWORD_HASH)='([^']+)'/gm)].map(m => m[1]!)]
    expect(secrets.length).toBe(4)
    if (server.databaseUrl) secrets.push(server.databaseUrl)
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/postgres(?:ql)?:\/\//)
  })
})

describe('GET /metrics with METRICS_ALLOW (the allowlist-only mode for a monitoring network)', () => {
  const servers: TestServer[] = []
  afterAll(async () => {
    for (const s of servers) {
      await s.stop()
      removeRoot(s.root)
    }
  })
  // Both on the embedded database: the allowlist decides before anything is read.
  const startWith = async (allow: string) => {
    const s = await startServer({ root: await makeRoot({ METRICS_TOKEN, METRICS_ALLOW: allow }) })
    servers.push(s)
    return s
  }

  it('a listed address scrapes without a credential; a wrong credential from it is still refused', async () => {
    const s = await startWith('192.0.2.0/24, 127.0.0.1')
    const res = await fetch(`${s.url}/metrics`)
    expect(res.status).toBe(200)
    expect(sampleValue(parseExposition(await res.text()).samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expectError(await api('/metrics', { baseUrl: s.url, auth: false, headers: bearer('wrong-token') }), 401, 'UNAUTHORIZED')
    expectError(await api('/metrics', { baseUrl: s.url, auth: false, headers: { 'x-api-key': 'bsmp_wrong' } }), 401, 'UNAUTHORIZED')
    // Only /metrics: the listed address gets nothing else without signing in.
    expectError(await api('/api/v1/domains', { baseUrl: s.url, auth: false }), 401, 'UNAUTHORIZED')
  })

  it('an address outside the list still needs the token', async () => {
    const s = await startWith('10.0.0.0/8,2001:db8::/32')
    expectError(await api('/metrics', { baseUrl: s.url, auth: false }), 401, 'UNAUTHORIZED')
    expect((await fetch(`${s.url}/metrics`, { headers: bearer(METRICS_TOKEN) })).status).toBe(200)
  })
})
