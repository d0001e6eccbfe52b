import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { PolicyClient, policyRequest } from '../support/policy-client'

// Backup/restore and the policy daemon, on a dedicated server (a restore replaces everything).

let server: TestServer
let drop: () => Promise<void>
let root: string
let client: PolicyClient

const call = <T>(path: string, opts: Parameters<typeof api>[1] = {}): Promise<ApiResponse<T>> => api<T>(path, { ...opts, baseUrl: server.url })
const eom = (login: string) => policyRequest({ sasl_username: login, protocol_state: 'END-OF-MESSAGE', recipient_count: '1' })
const rcpt = (login: string) => policyRequest({ sasl_username: login })
type Usage = { usage: { mailboxes: number, top: { address: string, sent: number }[] } }

beforeAll(async () => {
  const db = await createTestDatabase()
  drop = db.drop
  root = await makeRoot()
  server = await startServer({ root, databaseUrl: db.url })
  await raiseRateLimits(server.url)
  client = await PolicyClient.open((await call<{ port: number }>('/api/v1/policyd/status')).body.port)
})

afterAll(async () => {
  await client?.close()
  await server?.stop()
  await drop?.()
  if (root) removeRoot(root)
})

describe('backup and restore with the policy daemon', () => {
  it('carries policyd_fail_mode and the limits, leaves the counters out, and leaves no orphans when a mailbox goes', async () => {
    const domain = await call<{ id: number }>('/api/v1/domains', { body: { name: 'restore.example' } })
    const kept = await call<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: 'kept', password: 'mailbox-pass-123' } })
    await call(`/api/v1/mailboxes/${kept.body.id}/config`, { method: 'PUT', body: { daily_send_limit: 2 } })
    await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'dunno' } })
    expect(await client.ask(eom('kept@restore.example'))).toBe('DUNNO')
    const backup = await fetch(`${server.url}/api/v1/admin/backup`, { headers: { 'x-api-key': LEGACY_API_KEY } })
    expect(backup.status).toBe(200)
    const archive = new Uint8Array(await backup.arrayBuffer())

    // After the backup: a new mailbox that sends, a changed limit and fail mode.
    const gone = await call<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: 'gone', password: 'mailbox-pass-123' } })
    expect(await client.ask(eom('gone@restore.example'))).toBe('DUNNO')
    await call(`/api/v1/mailboxes/${kept.body.id}/config`, { method: 'PUT', body: { smtp_enabled: false } })
    await call('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'defer' } })
    expect(await client.ask(rcpt('kept@restore.example'))).toMatch(/^550 /)

    const restore = await fetch(`${server.url}/api/v1/admin/restore`, { method: 'POST', headers: { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/gzip' }, body: archive })
    expect(restore.status, await restore.clone().text()).toBe(200)

    expect((await call('/api/v1/policyd/settings')).body).toEqual({ policyd_fail_mode: 'dunno' })
    const usage = (await call<Usage>('/api/v1/policyd/status')).body.usage
    expect(usage.mailboxes).toBe(0)
    expect((await call(`/api/v1/mailboxes/${gone.body.id}`)).status).toBe(404)
    // The restored limits are in force at once (the restore invalidated the limits cache), counted from 0.
    expect(await client.ask(eom('kept@restore.example'))).toBe('DUNNO')
    expect(await client.ask(eom('kept@restore.example'))).toBe('DUNNO')
    expect(await client.ask(rcpt('kept@restore.example'))).toMatch(/^450 4\.7\.1 /)
    expect(await client.ask(rcpt('gone@restore.example'))).toBe('DUNNO')
    expect((await call<Usage>('/api/v1/policyd/status')).body.usage.top).toEqual([expect.objectContaining({ address: 'kept@restore.example', sent: 2 })])
  })
})
