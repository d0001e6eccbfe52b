import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'

const kick = (body: unknown, baseUrl?: string) => api('/api/v1/sessions/kick', { body, baseUrl })

describe('sessions on the shared server', () => {
  it('asks who you are first', async () => {
    expectError(await api('/api/v1/sessions', { auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/sessions/kick', { auth: false, body: { user: '*' } }), 401, 'UNAUTHORIZED')
  })

  // (A listing itself needs a running Dovecot: tests/system/logs-sessions.test.ts.)
  it('GET takes no query parameters', async () => {
    expectValidation(await api('/api/v1/sessions?user=x'), 'user')
  })

  it.each([
    [{}, 'user'],
    [{ user: '*' }, 'user'],
    [{ user: 'a*@example.com' }, 'user'],
    [{ user: '192.168.0.0/16' }, 'user'],
    [{ user: 'alice' }, 'user'],
    [{ user: 'alice@example.com -f' }, 'user'],
    [{ user: ['alice@example.com'] }, 'user'],
    [{ user: 'alice@example.com', all: true }, 'all'],
  ])('kick %j is a 400 naming %s', async (body, field) => {
    expectValidation(await kick(body), field)
  })
})

describe('sessions without doveadm installed', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  const emptyPath = mkdtempSync(join(tmpdir(), 'no-doveadm-'))

  beforeAll(async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url, env: { PATH: emptyPath } })
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
    rmSync(emptyPath, { recursive: true, force: true })
  })

  it('listing and kicking are a 409 CAPABILITY_MISSING naming the package; the kick is audited with its user', async () => {
    const list = expectError(await api('/api/v1/sessions', { baseUrl: server.url }), 409, 'CAPABILITY_MISSING')
    expect(list.detail).toMatch(/doveadm.*dovecot-core/)
    expectError(await kick({ user: 'Alice@Example.com' }, server.url), 409, 'CAPABILITY_MISSING')
    const audit = readFileSync(join(server.root, 'etc/backendside-mailpanel/audit.log'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as Record<string, unknown>)
    expect(audit).toContainEqual(expect.objectContaining({ action: 'POST /api/v1/sessions/kick', target: 'alice@example.com', status: 409 }))
  })
})
