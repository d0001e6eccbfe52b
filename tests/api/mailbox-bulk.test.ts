import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEntry } from '#shared/types/access'
import type { Mailbox } from '#shared/types/directory'
import type { BulkResult } from '#shared/types/mailbox-import'
import { api, type ListBody } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

describe('POST /api/v1/mailboxes/bulk', () => {
  let server: TestServer
  let drop: () => Promise<void>
  let one: number
  let two: number
  let db: postgres.Sql
  const call = <T = Record<string, unknown>>(path: string, opts: Parameters<typeof api>[1] = {}) => api<T>(path, { ...opts, baseUrl: server.url })
  const bulk = (body: Record<string, unknown>) => call<BulkResult>('/api/v1/mailboxes/bulk', { body })
  const list = async (query: string) => (await call<ListBody<Mailbox>>(`/api/v1/mailboxes?limit=500&${query}`)).body.data
  const activeOf = async (domainId: number) => Object.fromEntries((await list(`domain_id=${domainId}`)).map(m => [m.username, m.active]))

  beforeAll(async () => {
    const test = await createTestDatabase()
    drop = test.drop
    server = await startServer({ root: await makeRoot(), databaseUrl: test.url })
    await raiseRateLimits(server.url)
    db = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
    one = (await call<{ id: number }>('/api/v1/domains', { body: { name: 'bulk-one.example' } })).body.id
    two = (await call<{ id: number }>('/api/v1/domains', { body: { name: 'bulk-two.example' } })).body.id
    const mailboxes: [number, string, string][] = [
      [one, 'x_y', 'Under Score'], [one, 'xay', 'No Underscore'], [one, 'sale', '50% off'], [one, 'full', '500 off'],
      [one, 'plain', 'Plain'], [two, 'x_y', 'Other Domain'], [two, 'keep', 'Keep Me'],
    ]
    for (const [domainId, username, name] of mailboxes) {
      expect((await call('/api/v1/mailboxes', { body: { domain_id: domainId, username, password: 'bulk-test-pass', name } })).status).toBe(201)
    }
  })

  afterAll(async () => {
    await db?.end()
    await server?.stop()
    await drop?.()
    if (server) removeRoot(server.root)
  })

  it('takes % and _ in a search literally, as GET /mailboxes does, and a dry run changes nothing', async () => {
    const underscore = await bulk({ action: 'deactivate', filter: { search: 'x_y' }, dry_run: true })
    expect(underscore.status).toBe(200)
    expect(underscore.body).toEqual({ action: 'deactivate', dry_run: true, matched: 2, changed: 2 })
    expect((await list('search=x_y')).map(m => m.address)).toEqual(['x_y@bulk-one.example', 'x_y@bulk-two.example'])
    const percent = await bulk({ action: 'deactivate', filter: { search: '50%' }, dry_run: true })
    expect(percent.body.matched).toBe(1)
    expect((await list('search=50%25')).map(m => m.username)).toEqual(['sale'])
    expect(Object.values(await activeOf(one)).every(Boolean)).toBe(true)
  })

  it('deactivates, then activates, exactly the mailboxes a search within one domain matches', async () => {
    const dry = await bulk({ action: 'deactivate', filter: { domain_id: one, search: 'X_Y' }, dry_run: true })
    expect(dry.body).toEqual({ action: 'deactivate', dry_run: true, matched: 1, changed: 1 })
    const res = await bulk({ action: 'deactivate', filter: { domain_id: one, search: 'X_Y' } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ action: 'deactivate', dry_run: false, matched: 1, changed: 1 })
    expect(await activeOf(one)).toEqual({ x_y: false, xay: true, sale: true, full: true, plain: true })
    expect((await activeOf(two)).x_y).toBe(true)
    // Again: it matches, but nothing is left to change.
    expect((await bulk({ action: 'deactivate', filter: { domain_id: one, search: 'x_y' } })).body).toMatchObject({ matched: 1, changed: 0 })

    expect((await bulk({ action: 'deactivate', filter: { domain_id: one } })).body).toMatchObject({ matched: 5, changed: 4 })
    expect(Object.values(await activeOf(one)).some(Boolean)).toBe(false)
    const again = await bulk({ action: 'activate', filter: { domain_id: one }, dry_run: true })
    expect(again.body).toMatchObject({ matched: 5, changed: 5 })
    expect((await bulk({ action: 'activate', filter: { domain_id: one } })).body).toMatchObject({ matched: 5, changed: 5 })
    expect(Object.values(await activeOf(one)).every(Boolean)).toBe(true)
  })

  it('deletes the matching mailboxes like DELETE /mailboxes/:id, keeping the domain counts and the list exact', async () => {
    const ids = (await list(`domain_id=${two}`)).filter(m => m.username === 'keep').map(m => m.id)
    const dry = await bulk({ action: 'delete', filter: { search: 'off' }, dry_run: true })
    expect(dry.body).toEqual({ action: 'delete', dry_run: true, matched: 2, changed: 2 })
    expect(await list('search=off')).toHaveLength(2)

    expect((await call('/api/v1/security/settings', { method: 'PUT', body: { webhook_allowed_ranges: ['127.0.0.1/32'] } })).status).toBe(200)
    // Port 9 (discard): nothing answers, the deliveries stay queued; the test reads the outbox.
    const hook = (await call<{ id: number }>('/api/v1/admin/webhooks', { body: { url: 'http://127.0.0.1:9/hook', events: ['mailbox.deleted'] } })).body.id
    const res = await bulk({ action: 'delete', filter: { search: 'off' } })
    expect(res.body).toEqual({ action: 'delete', dry_run: false, matched: 2, changed: 2 })
    const events = await db<{ address: string }[]>`
      SELECT body::jsonb -> 'data' ->> 'address' AS address FROM webhook_deliveries WHERE webhook_id = ${hook} AND event = 'mailbox.deleted' ORDER BY 1`
    expect(events.map(e => e.address)).toEqual(['full@bulk-one.example', 'sale@bulk-one.example'])
    expect((await call(`/api/v1/admin/webhooks/${hook}`, { method: 'DELETE' })).status).toBe(200)
    expect((await list(`domain_id=${one}`)).map(m => m.username)).toEqual(['plain', 'x_y', 'xay'])
    expect((await call<{ mailbox_count: number }>(`/api/v1/domains/${one}`)).body.mailbox_count).toBe(3)
    const whole = (await call<ListBody<Mailbox>>('/api/v1/mailboxes')).body
    expect(whole.meta.total).toBe(5)

    // By ids, limited further by a domain: only ids in that domain go.
    const other = (await list(`domain_id=${one}`)).find(m => m.username === 'plain')!.id
    const byIds = await bulk({ action: 'delete', filter: { ids: [...ids, other], domain_id: two } })
    expect(byIds.body).toMatchObject({ matched: 1, changed: 1 })
    expect((await list(`domain_id=${two}`)).map(m => m.username)).toEqual(['x_y'])
    expect((await list(`domain_id=${one}`)).map(m => m.username)).toContain('plain')
    expect((await call(`/api/v1/mailboxes/${ids[0]}`)).status).toBe(404)
  })

  it('writes each bulk action to the audit log with what it changed', async () => {
    const audit = (await call<{ data: AuditEntry[] }>('/api/v1/admin/audit-log?limit=100')).body.data
    const lines = audit.filter(e => e.action === 'POST /api/v1/mailboxes/bulk').map(e => e.target)
    expect(lines).toContain('delete 2/2')
    expect(lines).toContain('deactivate 1/1 (dry run)')
  })

  it('refuses an empty filter, an unknown action and a bad filter', async () => {
    expectValidation(await bulk({ action: 'delete', filter: {} }), 'filter')
    expectValidation(await bulk({ action: 'delete', filter: { search: '   ' } }), 'filter')
    expectValidation(await bulk({ action: 'purge', filter: { domain_id: one } }), 'action')
    expectValidation(await bulk({ action: 'delete', filter: { domain_id: 'one' } }), 'filter.domain_id')
    expectValidation(await bulk({ action: 'delete', filter: { ids: [] } }), 'filter.ids')
    expectValidation(await bulk({ action: 'delete', filter: { domain_id: one, name: 'x' } }), 'filter.name')
    expect((await list(`domain_id=${one}`)).length).toBe(3)
  })

  it('needs credentials', async () => {
    expectError(await call('/api/v1/mailboxes/bulk', { body: { action: 'delete', filter: { domain_id: one } }, auth: false }), 401, 'UNAUTHORIZED')
  })
})
