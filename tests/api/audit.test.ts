import { createHash, randomBytes, randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { api, createDomain, expectErrorShape, sendFrom, uniqueDomain, type RequestOptions } from '../support/client'
import { ADMIN_PASSWORD, ADMIN_USER, LEGACY_API_KEY } from '../support/server'
import type { AuditEntry } from '#shared/types/access'

const ENTRY_KEYS = ['action', 'actor', 'ip', 'status', 'target', 'time']
const CONCURRENT_MUTATIONS = 50
const LOCAL_IP = '127.0.0.1'

const auditPath = () => join(inject('serverRoot'), 'etc/backendside-mailpanel/audit.log')

/** Complete lines only: other test files append to the same log while this one reads it. */
function auditLines(): string[] {
  const text = readFileSync(auditPath(), 'utf8')
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1)
}

const auditEntries = (): AuditEntry[] => auditLines().map(line => JSON.parse(line) as AuditEntry)

/** A loopback address no other test uses, so sign-in lines (actor "admin") can be told apart. */
const privateAddress = () => `127.${randomInt(100, 200)}.${randomInt(1, 255)}.${randomInt(1, 255)}`

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex')
const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`

describe('audit log', () => {
  const tokenName = `auditor-${suffix}`
  const actor = `token:${tokenName}`
  /** Every secret this file sends; none may ever reach the log. */
  const secrets: string[] = [ADMIN_PASSWORD, LEGACY_API_KEY]
  let token: string
  let tokenId: number
  let createdAt: { before: number, after: number }
  let initialLog: string

  const as = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) =>
    api<T>(path, { ...opts, headers: { 'x-api-key': token, ...opts.headers } })

  /** The lines this file's token wrote for `action` on `target`. */
  const mine = (action: string, target?: string | number) =>
    auditEntries().filter(e => e.actor === actor && e.action === action && (target === undefined || e.target === String(target)))

  function expectOneLine(action: string, target: string | number, status: number): AuditEntry {
    const lines = mine(action, target)
    expect(lines, `${action} ${target}`).toHaveLength(1)
    expect(lines[0]).toMatchObject({ actor, action, target: String(target), ip: LOCAL_IP, status })
    return lines[0]!
  }

  beforeAll(async () => {
    initialLog = readFileSync(auditPath(), 'utf8')
    const before = Date.now()
    const res = await api<{ id: number, token: string }>('/api/v1/admin/tokens', { body: { name: tokenName } })
    expect(res.status).toBe(201)
    createdAt = { before, after: Date.now() }
    token = res.body.token
    tokenId = res.body.id
    secrets.push(token, sha256Hex(token))
  })

  describe('one line per mutation', () => {
    it('logs a token creation with the actor API_KEY, the new id as target, and the time', () => {
      const lines = auditEntries().filter(e => e.action === 'POST /api/v1/admin/tokens' && e.target === String(tokenId))
      expect(lines).toHaveLength(1)
      const [line] = lines
      expect(Object.keys(line!).sort()).toEqual(ENTRY_KEYS)
      expect(line).toMatchObject({ actor: 'API_KEY', ip: LOCAL_IP, status: 201 })
      expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/)
      const time = Date.parse(line!.time)
      expect(time).toBeGreaterThanOrEqual(createdAt.before - 1_000)
      expect(time).toBeLessThanOrEqual(createdAt.after + 1_000)
    })

    it('logs domain create, update, config PUT and delete, and a duplicate create as 409', async () => {
      const name = uniqueDomain('audit')
      const created = await as<{ id: number }>('/api/v1/domains', { body: { name } })
      expect(created.status).toBe(201)
      const id = created.body.id
      expectOneLine('POST /api/v1/domains', id, 201)

      expect((await as(`/api/v1/domains/${id}`, { method: 'PUT', body: { description: 'audited' } })).status).toBe(200)
      expectOneLine('PUT /api/v1/domains/:id', id, 200)

      expect((await as(`/api/v1/domains/${id}/config`, { method: 'PUT', body: { daily_send_limit: 10 } })).status).toBe(200)
      expectOneLine('PUT /api/v1/domains/:id/config', id, 200)

      const duplicate = await as('/api/v1/domains', { body: { name } })
      expect(duplicate.status).toBe(409)
      expect(mine('POST /api/v1/domains').filter(e => e.status === 409)).toHaveLength(1)

      expect((await as(`/api/v1/domains/${id}`, { method: 'DELETE' })).status).toBe(200)
      expectOneLine('DELETE /api/v1/domains/:id', id, 200)
    })

    it('logs mailbox create, password change, config PUT and delete', async () => {
      const domain = await createDomain(uniqueDomain('auditmb'))
      const password = `mailbox-secret-${suffix}`
      const newPassword = `mailbox-newsecret-${suffix}`
      secrets.push(password, newPassword)

      const created = await as<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domain.id, username: 'jane', password } })
      expect(created.status).toBe(201)
      const id = created.body.id
      expectOneLine('POST /api/v1/mailboxes', id, 201)

      expect((await as(`/api/v1/mailboxes/${id}/password`, { method: 'PATCH', body: { password: newPassword } })).status).toBe(200)
      expectOneLine('PATCH /api/v1/mailboxes/:id/password', id, 200)

      expect((await as(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: { max_recipients: 5 } })).status).toBe(200)
      expectOneLine('PUT /api/v1/mailboxes/:id/config', id, 200)

      expect((await as(`/api/v1/mailboxes/${id}`, { method: 'DELETE' })).status).toBe(200)
      expectOneLine('DELETE /api/v1/mailboxes/:id', id, 200)
    })

    it('logs alias create, update and delete', async () => {
      const domain = await createDomain(uniqueDomain('audital'))
      const created = await as<{ id: number }>('/api/v1/aliases', { body: { domain_id: domain.id, source: 'info', destinations: ['someone@example.org'] } })
      expect(created.status).toBe(201)
      const id = created.body.id
      expectOneLine('POST /api/v1/aliases', id, 201)

      expect((await as(`/api/v1/aliases/${id}`, { method: 'PUT', body: { active: false } })).status).toBe(200)
      expectOneLine('PUT /api/v1/aliases/:id', id, 200)

      expect((await as(`/api/v1/aliases/${id}`, { method: 'DELETE' })).status).toBe(200)
      expectOneLine('DELETE /api/v1/aliases/:id', id, 200)
    })

    it('logs token create and delete by a token, as token:<name>', async () => {
      const created = await as<{ id: number, token: string }>('/api/v1/admin/tokens', { body: { name: `child-${suffix}` } })
      expect(created.status).toBe(201)
      secrets.push(created.body.token, sha256Hex(created.body.token))
      expectOneLine('POST /api/v1/admin/tokens', created.body.id, 201)

      expect((await as(`/api/v1/admin/tokens/${created.body.id}`, { method: 'DELETE' })).status).toBe(200)
      expectOneLine('DELETE /api/v1/admin/tokens/:id', created.body.id, 200)
    })

    it('logs a server config PUT, here a refused one (no change for the other files sharing the server)', async () => {
      const before = mine('PUT /api/v1/config/server').length
      const put = await as('/api/v1/config/server', { method: 'PUT', body: { max_recipients: 0 } })
      expect(put.status).toBe(400)
      const lines = mine('PUT /api/v1/config/server')
      expect(lines).toHaveLength(before + 1)
      expect(lines.at(-1)).toMatchObject({ ip: LOCAL_IP, status: 400, target: '' })
    })

    it('logs a successful sign-in with the admin username and the source address', async () => {
      const from = privateAddress()
      const res = await sendFrom('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, from })
      expect(res.status).toBe(200)
      secrets.push(res.body.token as string)
      const lines = auditEntries().filter(e => e.ip === from)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ actor: ADMIN_USER, action: 'POST /auth/login', status: 200 })
    })

    it('logs a failed sign-in with status 401', async () => {
      const from = privateAddress()
      const wrong = `wrong-password-${suffix}`
      secrets.push(wrong)
      expect((await sendFrom('/auth/login', { body: { username: ADMIN_USER, password: wrong }, from })).status).toBe(401)
      const lines = auditEntries().filter(e => e.ip === from)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ actor: ADMIN_USER, action: 'POST /auth/login', status: 401 })

      const stranger = privateAddress()
      expect((await sendFrom('/auth/login', { body: { username: `nobody-${suffix}`, password: wrong }, from: stranger })).status).toBe(401)
      expect(auditEntries().filter(e => e.ip === stranger)).toMatchObject([{ action: 'POST /auth/login', status: 401 }])
    })

    it('logs failures with their status: 404, 400, and 401 for a bad key', async () => {
      expect((await as('/api/v1/domains/2147483646', { method: 'DELETE' })).status).toBe(404)
      expectOneLine('DELETE /api/v1/domains/:id', 2147483646, 404)

      const before = mine('POST /api/v1/domains').filter(e => e.status === 400).length
      expect((await as('/api/v1/domains', { body: { name: 'not a domain' } })).status).toBe(400)
      expect(mine('POST /api/v1/domains').filter(e => e.status === 400)).toHaveLength(before + 1)

      const from = privateAddress()
      const badKey = `bad-key-${suffix}`
      secrets.push(badKey)
      expect((await sendFrom('/api/v1/domains', { body: { name: uniqueDomain('nokey') }, headers: { 'x-api-key': badKey }, from })).status).toBe(401)
      expect(auditEntries().filter(e => e.ip === from)).toMatchObject([{ action: 'POST /api/v1/domains', status: 401 }])
    })

    it('does not log GET requests', async () => {
      const domain = await createDomain(uniqueDomain('auditget'))
      expect((await as(`/api/v1/domains/${domain.id}`)).status).toBe(200)
      expect((await as('/api/v1/domains')).status).toBe(200)
      expect((await as('/api/v1/admin/audit-log')).status).toBe(200)
      expect((await as('/api/v1/me')).status).toBe(200)
      expect(auditEntries().filter(e => e.actor === actor && !/^(?:POST|PUT|PATCH|DELETE) /.test(e.action))).toEqual([])
      expect(auditEntries().filter(e => /^(?:GET|HEAD|OPTIONS) /.test(e.action))).toEqual([])
    })
  })

  describe('percent-encoded paths', () => {
    it('still name the target of a DELETE (the router decodes /domains/%3N to the same id)', async () => {
      const domain = await createDomain(uniqueDomain('auditenc'))
      const encodedId = [...String(domain.id)].map(c => `%${c.charCodeAt(0).toString(16)}`).join('')
      const res = await as(`/api/v1/domains/${encodedId}`, { method: 'DELETE' })
      const deleted = (await api(`/api/v1/domains/${domain.id}`)).status === 404
      expect(res.status === 200).toBe(deleted)
      // If the domain is gone, the log must say which one, under the normal action name.
      const logged = auditEntries().filter(e => e.actor === actor && e.action.startsWith('DELETE /api/v1/domains/') && e.action.includes('%'))
      expect(mine('DELETE /api/v1/domains/:id', domain.id), `logged instead: ${JSON.stringify(logged)}`).toHaveLength(deleted ? 1 : 0)
    })

    it('still record the source address and the action (/%61pi/v1/… reaches the API too)', async () => {
      const res = await as<{ id: number }>('/%61pi/v1/domains', { body: { name: uniqueDomain('auditenc') } })
      const created = res.status === 201
      const lines = created ? auditEntries().filter(e => e.actor === actor && e.target === String(res.body.id) && e.action.startsWith('POST ')) : []
      if (created) await as(`/api/v1/domains/${res.body.id}`, { method: 'DELETE' })
      expect(lines.map(e => [e.action, e.ip])).toEqual(created ? [['POST /api/v1/domains', LOCAL_IP]] : [])
    })
  })

  describe('GET /api/v1/admin/audit-log', () => {
    const list = (query: string) => api<{ data: AuditEntry[], meta: { page: number, limit: number, total: number } }>(`/api/v1/admin/audit-log?${query}`)
    const byActor = (extra = '') => list(`actor=${encodeURIComponent(actor)}&limit=500${extra}`)

    it('lists entries newest first: exactly the file\'s lines for an actor, reversed', async () => {
      const fromFile = auditEntries().filter(e => e.actor === actor).reverse()
      expect(fromFile.length).toBeGreaterThan(5)
      const res = await byActor()
      expect(res.status).toBe(200)
      expect(res.body.data).toEqual(fromFile)
      expect(res.body.meta).toEqual({ page: 1, limit: 500, total: fromFile.length })
      const times = res.body.data.map(e => Date.parse(e.time))
      expect(times).toEqual([...times].sort((a, b) => b - a))
    })

    it('pages', async () => {
      const all = (await byActor()).body.data
      const page2 = await list(`actor=${encodeURIComponent(actor)}&limit=3&page=2`)
      expect(page2.status).toBe(200)
      expect(page2.body.data).toEqual(all.slice(3, 6))
      expect(page2.body.meta).toEqual({ page: 2, limit: 3, total: all.length })
      const beyond = await list(`actor=${encodeURIComponent(actor)}&limit=3&page=1000`)
      expect(beyond.body.data).toEqual([])
      expect(beyond.body.meta.total).toBe(all.length)
    })

    it('defaults to page 1 of 50 across all actors', async () => {
      const res = await list('')
      expect(res.status).toBe(200)
      expect(res.body.meta).toMatchObject({ page: 1, limit: 50 })
      expect(res.body.data.length).toBeLessThanOrEqual(50)
      expect(res.body.meta.total).toBeGreaterThanOrEqual(res.body.data.length)
    })

    it('filters by action', async () => {
      const res = await byActor('&action=PATCH')
      expect(res.status).toBe(200)
      expect(res.body.data.length).toBeGreaterThan(0)
      for (const e of res.body.data) expect(e.action).toContain('PATCH')
      expect(res.body.meta.total).toBe(auditEntries().filter(e => e.actor === actor && e.action.includes('PATCH')).length)
    })

    it('filters by actor alone', async () => {
      const res = await list(`actor=${encodeURIComponent(ADMIN_USER)}&limit=500`)
      expect(res.status).toBe(200)
      expect(res.body.data.length).toBeGreaterThan(0)
      for (const e of res.body.data) expect(e.actor).toBe(ADMIN_USER)
    })

    it('filters by since', async () => {
      const all = (await byActor()).body.data
      const pivot = all[Math.floor(all.length / 2)]!
      const res = await byActor(`&since=${encodeURIComponent(pivot.time)}`)
      expect(res.status).toBe(200)
      expect(res.body.data).toContainEqual(pivot)
      for (const e of res.body.data) expect(Date.parse(e.time)).toBeGreaterThanOrEqual(Date.parse(pivot.time))
      expect(res.body.data).toEqual(all.filter(e => Date.parse(e.time) >= Date.parse(pivot.time)))
      const future = await byActor(`&since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)
      expect(future.body.data).toEqual([])
      expect(future.body.meta.total).toBe(0)
    })

    it.each(['yesterday', '12345', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z'])('refuses since=%j with 400 naming the parameter', async (since) => {
      const res = await list(`since=${encodeURIComponent(since)}`)
      expect(res.status).toBe(400)
      const err = expectErrorShape(res.body)
      expect(err.code).toBe('VALIDATION_FAILED')
      expect(err.detail).toContain('since')
    })

    it.each(['limit=0', 'limit=501', 'page=0', 'order=asc'])('refuses %s with 400', async (query) => {
      const res = await list(query)
      expect(res.status).toBe(400)
      expect(expectErrorShape(res.body).code).toBe('VALIDATION_FAILED')
    })

    it('needs authentication', async () => {
      const res = await api('/api/v1/admin/audit-log', { auth: false })
      expect(res.status).toBe(401)
      expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED')
    })
  })

  describe('integrity', () => {
    it(`writes ${CONCURRENT_MUTATIONS} well-formed lines for ${CONCURRENT_MUTATIONS} concurrent mutations`, async () => {
      const results = await Promise.all(Array.from({ length: CONCURRENT_MUTATIONS }, () => as<{ id: number }>('/api/v1/domains', { body: { name: uniqueDomain('auditburst') } })))
      expect(results.map(r => r.status)).toEqual(Array(CONCURRENT_MUTATIONS).fill(201))
      const ids = new Set(results.map(r => String(r.body.id)))
      const lines = mine('POST /api/v1/domains').filter(e => ids.has(e.target))
      expect(lines).toHaveLength(CONCURRENT_MUTATIONS)
      expect(new Set(lines.map(e => e.target)).size).toBe(CONCURRENT_MUTATIONS)

      const deletes = await Promise.all([...ids].map(id => as(`/api/v1/domains/${id}`, { method: 'DELETE' })))
      expect(deletes.map(r => r.status)).toEqual(Array(CONCURRENT_MUTATIONS).fill(200))
      expect(mine('DELETE /api/v1/domains/:id').filter(e => ids.has(e.target))).toHaveLength(CONCURRENT_MUTATIONS)
    })

    it('holds only whole JSON lines with exactly the six fields', () => {
      for (const line of auditLines()) {
        const entry = JSON.parse(line) as Record<string, unknown>
        expect(Object.keys(entry).sort(), line).toEqual(ENTRY_KEYS)
        expect(typeof entry.time).toBe('string')
        expect(Number.isNaN(Date.parse(entry.time as string))).toBe(false)
        for (const key of ['actor', 'action', 'target', 'ip'] as const) expect(typeof entry[key], line).toBe('string')
        expect(Number.isInteger(entry.status), line).toBe(true)
      }
    })

    it('is only appended to: what was there before this file ran is still its beginning', () => {
      expect(readFileSync(auditPath(), 'utf8').startsWith(initialLog)).toBe(true)
    })

    it('never contains a password, a token, a token hash or an API key', () => {
      const text = readFileSync(auditPath(), 'utf8')
      expect(secrets.length).toBeGreaterThan(8)
      for (const secret of secrets) expect(text.includes(secret), `secret ${secret.slice(0, 6)}… found`).toBe(false)
      // The random part alone would still be a leak.
      expect(text.includes(token.slice('bsmp_'.length))).toBe(false)
    })
  })
})
