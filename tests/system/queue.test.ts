import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectError, expectValidation } from '../support/expect'
import { sendMail } from '../support/mail-clients'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import type { QueueActionResponse, QueueList } from '#shared/types/queue'
import type { Serialized } from '#shared/types/wire'

const exec = promisify(execFile)
const QUEUE_TIMEOUT_MS = 20_000
// A loopback address that is not one of Postfix's inet_interfaces (loopback-only = 127.0.0.1) and
// where nothing listens on port 25: mail to it is deferred with "Connection refused", no DNS involved.
const UNREACHABLE = '[127.0.0.2]'

interface Entry { queue_id: string, queue_name: string, recipients: { address: string, delay_reason?: string }[] }

// Real Postfix from the panel's rendered files: mail that cannot be delivered sits in the deferred
// queue, and the API lists it and acts on it; `postqueue -j` run here is the witness.
describe('the mail queue on a real Postfix', () => {
  let stack: ManagedStack
  const domain = `queue${randomBytes(4).toString('hex')}.example`
  const alice = { user: `alice@${domain}`, password: 'Alice-pass-1' }
  const api = <T = Record<string, unknown>>(path: string, opts: Parameters<ManagedStack['api']>[1] = {}) => stack.api<T>(path, opts)
  const list = (query = '') => api<Serialized<QueueList>>(`/api/v1/queue${query}`)

  /** The queue as Postfix itself reports it. */
  async function postqueue(): Promise<Entry[]> {
    const { stdout } = await exec('postqueue', ['-c', stack.ctx.postfix.config_directory, '-j'])
    return stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as Entry)
  }
  const inQueue = async (id: string) => (await postqueue()).find(e => e.queue_id === id)
  const maillog = () => existsSync(stack.ctx.postfix.maillog_file) ? readFileSync(stack.ctx.postfix.maillog_file, 'utf8') : ''
  const attempts = (id: string) => maillog().split('\n').filter(l => l.includes(`${id}: to=<`) && l.includes('status=deferred')).length

  /** Submits one message to the unreachable host and waits until Postfix has deferred it with a reason; returns its queue id. */
  async function deferredMessage(tag: string): Promise<string> {
    const to = `${tag}@${UNREACHABLE}`
    const sent = await sendMail({ port: stack.ports.submission, from: alice.user, to, subject: tag, auth: alice })
    expect(sent.code, sent.output).toBe(0)
    const deadline = Date.now() + QUEUE_TIMEOUT_MS
    for (;;) {
      const entry = (await postqueue()).find(e => e.recipients.some(r => r.address === to && r.delay_reason))
      if (entry?.queue_name === 'deferred') return entry.queue_id
      if (Date.now() > deadline) throw new Error(`${to} was never deferred: ${JSON.stringify(await postqueue())}\n${stack.daemons?.logs()}`)
      await new Promise(r => setTimeout(r, 200))
    }
  }

  beforeAll(async () => {
    stack = await startManagedStack()
    const d = await api<{ id: number }>('/api/v1/domains', { body: { name: domain } })
    expect(d.status).toBe(201)
    const m = await api('/api/v1/mailboxes', { body: { domain_id: d.body.id, username: 'alice', password: alice.password } })
    expect(m.status).toBe(201)
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('lists deferred mail with its sender, recipient and delay reason', async () => {
    const id = await deferredMessage('listed')
    const res = await list(`?queue=deferred&q=${encodeURIComponent(`listed@${UNREACHABLE}`)}`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.meta.total).toBe(1)
    const [row] = res.body.data
    expect(row).toMatchObject({ queue_id: id, queue_name: 'deferred', sender: alice.user, recipient_count: 1 })
    expect(row!.recipients[0]!.address).toBe(`listed@${UNREACHABLE}`)
    expect(row!.recipients[0]!.delay_reason).toMatch(/127\.0\.0\.2.*Connection refused/)
    expect(row!.message_size).toBeGreaterThan(0)
    expect(Math.abs(Date.parse(row!.arrival_time) - Date.now())).toBeLessThan(5 * 60_000)
    expect(res.body.queues.deferred).toBeGreaterThanOrEqual(1)
    expect(Object.keys(res.body.queues).sort()).toEqual(['active', 'deferred', 'hold', 'incoming', 'maildrop'])
  })

  it('hold moves the message to the hold queue and release takes it back out', async () => {
    const id = await deferredMessage('held')
    const hold = await api<QueueActionResponse>(`/api/v1/queue/${id}/hold`, { method: 'POST' })
    expect(hold.status, JSON.stringify(hold.body)).toBe(200)
    expect(hold.body).toMatchObject({ queue_id: id, changed: true })
    expect((await inQueue(id))?.queue_name).toBe('hold')
    expect((await list('?queue=hold')).body.data.map(m => m.queue_id)).toContain(id)

    const release = await api<QueueActionResponse>(`/api/v1/queue/${id}/release`, { method: 'POST' })
    expect(release.status, JSON.stringify(release.body)).toBe(200)
    expect(release.body.changed).toBe(true)
    await expect.poll(async () => (await inQueue(id))?.queue_name, { timeout: QUEUE_TIMEOUT_MS }).toMatch(/^(deferred|active|incoming)$/)
  })

  it('flush makes Postfix try deferred mail again at once', async () => {
    const id = await deferredMessage('flushed')
    const before = attempts(id)
    expect(before).toBeGreaterThanOrEqual(1)
    const res = await api<{ message: string }>('/api/v1/queue/flush', { method: 'POST' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    // The retry is logged as another deferral (nothing listens there yet): long before the minimal backoff.
    await expect.poll(() => attempts(id), { timeout: QUEUE_TIMEOUT_MS }).toBeGreaterThan(before)
    expect((await inQueue(id))?.queue_name).toBeDefined()
  })

  it('delete removes the message from the real queue; a second delete is a 404', async () => {
    const id = await deferredMessage('deleted')
    const res = await api<QueueActionResponse>(`/api/v1/queue/${id}`, { method: 'DELETE' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await inQueue(id)).toBeUndefined()
    expectError(await api(`/api/v1/queue/${id}`, { method: 'DELETE' }), 404, 'QUEUE_MESSAGE_NOT_FOUND')
    expect((await list(`?q=${encodeURIComponent(`deleted@${UNREACHABLE}`)}`)).body.meta.total).toBe(0)
  })

  it('a bad queue id is a 400 and the queue is untouched', async () => {
    const before = (await postqueue()).map(e => e.queue_id).sort()
    for (const id of ['ALL', '-d', 'abc%20ALL']) {
      expectValidation(await api(`/api/v1/queue/${id}`, { method: 'DELETE' }), 'queueId')
      expectValidation(await api(`/api/v1/queue/${id}/hold`, { method: 'POST' }), 'queueId')
    }
    expect((await postqueue()).map(e => e.queue_id).sort()).toEqual(before)
  })
})
