import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, pathWithoutMailDaemons, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import type { QueueActionResponse, QueueList } from '#shared/types/queue'
import type { Serialized } from '#shared/types/wire'

const ID = '3F1A2B4C5D'
const BAD_IDS = ['ALL', 'abc', '-d', '3f1a2b4c5d', 'ABCDE', `${'A'.repeat(22)}`, '3F1A2B4C5D%20-d', '..%2F..%2Fetc']

// The API suite's server has no sbin folders on PATH: postqueue and postsuper are missing there.
describe('the mail queue without Postfix installed', () => {
  it('needs a signed-in admin or a key, before any validation', async () => {
    expectError(await api('/api/v1/queue', { auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/queue/ALL', { method: 'DELETE', auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/queue/flush', { method: 'POST', auth: false }), 401, 'UNAUTHORIZED')
  })

  it('every operation is a 409 CAPABILITY_MISSING naming the program and the package', async () => {
    for (const [path, method, binary] of [['/api/v1/queue', 'GET', 'postqueue'], [`/api/v1/queue/${ID}`, 'DELETE', 'postqueue'], ['/api/v1/queue/flush', 'POST', 'postqueue'],
      [`/api/v1/queue/${ID}/hold`, 'POST', 'postqueue'], [`/api/v1/queue/${ID}/release`, 'POST', 'postqueue']] as const) {
      const err = expectError(await api(path, { method }), 409, 'CAPABILITY_MISSING')
      expect(err.detail, `${method} ${path}`).toContain(binary)
      expect(err.detail).toMatch(/postfix package/)
    }
  })

  it('a bad queue id is a 400 naming queueId, before any program runs', async () => {
    for (const id of BAD_IDS) {
      for (const [path, method] of [[`/api/v1/queue/${id}`, 'DELETE'], [`/api/v1/queue/${id}/hold`, 'POST'], [`/api/v1/queue/${id}/release`, 'POST']] as const) {
        const err = expectValidation(await api(path, { method }), 'queueId')
        expect(err.detail, id).not.toContain(decodeURIComponent(id))
      }
    }
  })

  it('bad list queries are 400s naming the parameter', async () => {
    expectValidation(await api('/api/v1/queue?queue=bounce'), 'queue')
    expectValidation(await api('/api/v1/queue?limit=501'), 'limit')
    expectValidation(await api('/api/v1/queue?page=0'), 'page')
    expectValidation(await api(`/api/v1/queue?q=${'x'.repeat(321)}`), 'q')
    expectValidation(await api('/api/v1/queue?search=x'), 'search')
  })

  it('failed attempts are audited with the queue id as target', async () => {
    await api(`/api/v1/queue/${ID}/hold`, { method: 'POST' })
    const entries = readFileSync(join(inject('serverRoot'), 'etc/backendside-mailpanel/audit.log'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string, target: string, status: number })
    expect(entries).toContainEqual(expect.objectContaining({ action: 'POST /api/v1/queue/:queueId/hold', target: ID, status: 409 }))
  })
})

/**
 * Against stand-in postqueue and postsuper (shell scripts over a JSON-lines file) on PATH: the parsing,
 * paging, filters and the 404 without a Postfix. The real programs are the system suite's
 * (tests/system/queue.test.ts).
 */
describe('the mail queue with stand-in postqueue and postsuper', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let bin: string
  const at = (file: string) => join(bin, file)
  const message = (i: number, queue: string, extra: Record<string, unknown> = {}) => JSON.stringify({
    queue_name: queue, queue_id: `ABCDEF${String(i).padStart(4, '0')}`, arrival_time: 1_780_000_000 + i, message_size: 500 + i, forced_expire: false,
    sender: i === 7 ? 'Billing.Robot@shop.example' : `sender${i}@example.com`,
    recipients: [{ address: `rcpt${i}@remote.example`, delay_reason: 'connect to remote.example[192.0.2.1]:25: Connection refused' }], ...extra,
  })
  const list = (query = '') => api<Serialized<QueueList>>(`/api/v1/queue${query}`, { baseUrl: server.url })
  const act = (path: string, method = 'POST') => api<QueueActionResponse>(`/api/v1/queue/${path}`, { method, baseUrl: server.url })
  const calls = () => readFileSync(at('calls.log'), 'utf8').trim().split('\n')

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'mailpanel-queue-bin-'))
    const lines = [...Array.from({ length: 12 }, (_, i) => message(i, i < 8 ? 'deferred' : 'active')), message(12, 'hold'), 'not a queue line']
    writeFileSync(at('queue.jsonl'), `${lines.join('\n')}\n`)
    writeFileSync(at('calls.log'), '')
    // postqueue -c DIR -j | -f; postsuper -c DIR -d|-h|-H ID, reporting as Postfix does on stderr.
    writeFileSync(at('postqueue'), `#!/bin/sh\necho "postqueue $*" >> ${at('calls.log')}\n[ "$3" = -j ] && exec cat ${at('queue.jsonl')}\nexit 0\n`, { mode: 0o755 })
    writeFileSync(at('postsuper'), `#!/bin/sh
echo "postsuper $*" >> ${at('calls.log')}
f=${at('queue.jsonl')}
case "$3" in
  -d) grep -v "\\"$4\\"" "$f" > "$f.new"; mv "$f.new" "$f"; echo "postsuper: $4: removed" >&2; echo "postsuper: Deleted: 1 message" >&2 ;;
  -h) sed -i "/\\"$4\\"/s/\\"queue_name\\": *\\"[a-z]*\\"/\\"queue_name\\":\\"hold\\"/" "$f"; echo "postsuper: Placed on hold: 1 message" >&2 ;;
  -H) sed -i "/\\"$4\\"/s/\\"queue_name\\": *\\"hold\\"/\\"queue_name\\":\\"deferred\\"/" "$f"; echo "postsuper: Released from hold: 1 message" >&2 ;;
esac
`, { mode: 0o755 })
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url, env: { PATH: `${bin}:${pathWithoutMailDaemons()}` } })
    await raiseRateLimits(server.url)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
    rmSync(bin, { recursive: true, force: true })
  })

  it('lists the queue paged, with delay reasons and the count of every queue', async () => {
    const res = await list('?page=2&limit=5')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.meta).toEqual({ page: 2, limit: 5, total: 13 })
    expect(res.body.queues).toEqual({ maildrop: 0, incoming: 0, active: 4, deferred: 8, hold: 1 })
    expect(res.body.data.map(m => m.queue_id)).toEqual([5, 6, 7, 8, 9].map(i => `ABCDEF${String(i).padStart(4, '0')}`))
    expect(res.body.data[0]).toEqual({
      queue_id: 'ABCDEF0005', queue_name: 'deferred', arrival_time: new Date(1_780_000_005_000).toISOString(), message_size: 505, sender: 'sender5@example.com', forced_expire: false,
      recipient_count: 1, recipients: [{ address: 'rcpt5@remote.example', delay_reason: 'connect to remote.example[192.0.2.1]:25: Connection refused' }],
    })
    // Always on the managed Postfix's configuration directory.
    expect(calls().at(-1)).toBe(`postqueue -c ${join(server.root, 'etc/postfix')} -j`)
  })

  it('filters by queue and by a literal, case-insensitive substring of sender or recipient', async () => {
    expect((await list('?queue=active')).body.data.map(m => m.queue_name)).toEqual(['active', 'active', 'active', 'active'])
    const bySender = await list(`?q=${encodeURIComponent('billing.robot@')}`)
    expect(bySender.body.data.map(m => m.queue_id)).toEqual(['ABCDEF0007'])
    expect(bySender.body.meta.total).toBe(1)
    expect((await list('?q=RCPT11@')).body.data.map(m => m.queue_id)).toEqual(['ABCDEF0011'])
    // Regular-expression characters are plain text.
    expect((await list('?q=.*')).body.meta.total).toBe(0)
    expect((await list('?queue=hold&q=rcpt1')).body.data.map(m => m.queue_id)).toEqual(['ABCDEF0012'])
  })

  it('an id that is not in the queue is a 404 QUEUE_MESSAGE_NOT_FOUND, and postsuper is not run', async () => {
    for (const [path, method] of [['ABCDEF9999', 'DELETE'], ['ABCDEF9999/hold', 'POST'], ['ABCDEF9999/release', 'POST'], ['3Pt2mN2VXxznjll', 'DELETE']] as const) {
      expectError(await act(path, method), 404, 'QUEUE_MESSAGE_NOT_FOUND')
    }
    expect(calls().filter(c => c.startsWith('postsuper'))).toEqual([])
  })

  it('hold, release and delete run postsuper on that id; hold of a held message changes nothing', async () => {
    const dir = join(server.root, 'etc/postfix')
    const hold = await act('ABCDEF0001/hold')
    expect(hold.status, JSON.stringify(hold.body)).toBe(200)
    expect(hold.body).toMatchObject({ queue_id: 'ABCDEF0001', changed: true })
    expect(calls().at(-1)).toBe(`postsuper -c ${dir} -h ABCDEF0001`)
    expect((await list('?queue=hold')).body.meta.total).toBe(2)
    expect((await act('ABCDEF0001/hold')).body).toMatchObject({ changed: false, message: expect.stringMatching(/already on hold/) })
    expect((await act('ABCDEF0002/release')).body).toMatchObject({ changed: false, message: expect.stringMatching(/not on hold/) })

    const release = await act('ABCDEF0001/release')
    expect(release.body).toMatchObject({ changed: true })
    expect(calls().at(-1)).toBe(`postsuper -c ${dir} -H ABCDEF0001`)
    expect((await list('?queue=hold')).body.meta.total).toBe(1)

    const del = await act('ABCDEF0003', 'DELETE')
    expect(del.status).toBe(200)
    expect(del.body.message).toMatch(/ABCDEF0003 deleted/)
    expect(calls().at(-1)).toBe(`postsuper -c ${dir} -d ABCDEF0003`)
    expect((await list()).body.meta.total).toBe(12)
  })

  it('flush runs postqueue -f', async () => {
    const res = await api<{ message: string }>('/api/v1/queue/flush', { method: 'POST', baseUrl: server.url })
    expect(res.status).toBe(200)
    expect(res.body.message).toMatch(/flushed/i)
    expect(calls().at(-1)).toBe(`postqueue -c ${join(server.root, 'etc/postfix')} -f`)
  })

  it('a Postfix that is down is a 503 with what postqueue said', async () => {
    writeFileSync(at('postqueue'), '#!/bin/sh\necho "postqueue: fatal: Queue report unavailable - mail system is down" >&2\nexit 69\n', { mode: 0o755 })
    const err = expectError(await list(), 503, 'SERVICE_UNAVAILABLE')
    expect(err.detail).toMatch(/Queue report unavailable - mail system is down/)
    expectError(await api('/api/v1/queue/flush', { method: 'POST', baseUrl: server.url }), 503, 'SERVICE_UNAVAILABLE')
  })
})
