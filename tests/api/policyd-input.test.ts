import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse, type RequestOptions } from '../support/client'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { PolicyClient, policyRequest } from '../support/policy-client'

// Attribute values PostgreSQL cannot store (U+0000) or that cannot be any mailbox's login: decided
// without the database, never answered as a database outage (which would defer the mail).

interface Status { port: number, reasons: Record<string, number> }

let server: TestServer
let db: Awaited<ReturnType<typeof createTestDatabase>>
let client: PolicyClient

const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> => api<T>(path, { ...opts, baseUrl: server.url })
const reasons = async () => (await call<Status>('/api/v1/policyd/status')).body.reasons

beforeAll(async () => {
  db = await createTestDatabase()
  server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
  await raiseRateLimits(server.url)
  // The strict mode: were any of these taken for an outage, the mail would be deferred.
  expect((await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'defer' } })).status).toBe(200)
  const domain = await call<{ id: number }>('/api/v1/domains', { body: { name: 'policy-input.example' } })
  expect((await call('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: 'sender', password: 'mailbox-pass-123' } })).status).toBe(201)
  client = await PolicyClient.open((await call<Status>('/api/v1/policyd/status')).body.port)
})

afterAll(async () => {
  await client?.close()
  await server?.stop()
  await db?.drop()
  if (server) removeRoot(server.root)
})

describe('policy requests the database cannot answer', () => {
  it.each([
    ['a NUL in the login', 'sender\0@policy-input.example'],
    ['a NUL after the domain', 'sender@policy-input.example\0'],
    ['a control character', 'sen\x01der@policy-input.example'],
    ['no @ at all', 'sender'],
    ['no domain', 'sender@'],
    ['a domain that is no domain name', 'sender@policy input'],
  ])('a sasl_username with %s is an unknown sender (DUNNO), not a database outage', async (_, login) => {
    const before = await reasons()
    expect(await client.ask(policyRequest({ sasl_username: login }))).toBe('DUNNO')
    const after = await reasons()
    expect(after.database_unavailable ?? 0).toBe(before.database_unavailable ?? 0)
    expect(after.unknown_sender ?? 0).toBe((before.unknown_sender ?? 0) + 1)
  })

  it('a NUL in another attribute of a real sender does not reach the database either: the mail is allowed', async () => {
    const before = await reasons()
    expect(await client.ask(policyRequest({ sasl_username: 'sender@policy-input.example', recipient: 'some\0one@elsewhere.example', helo_name: 'lap\0top' }))).toBe('DUNNO')
    const after = await reasons()
    expect(after.database_unavailable ?? 0).toBe(before.database_unavailable ?? 0)
    expect(after.allowed ?? 0).toBe((before.allowed ?? 0) + 1)
  })

  it('a well-formed login of no mailbox is still looked up and is an unknown sender', async () => {
    const before = await reasons()
    expect(await client.ask(policyRequest({ sasl_username: 'nobody@policy-input.example' }))).toBe('DUNNO')
    expect((await reasons()).unknown_sender).toBe((before.unknown_sender ?? 0) + 1)
  })
})
