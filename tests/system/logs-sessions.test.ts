import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiResponse, RequestOptions } from '../support/client'
import { expectError } from '../support/expect'
import { sendMail } from '../support/mail-clients'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import type { LogsResponse } from '#shared/types/logs'
import type { SessionKickResponse, SessionsResponse } from '#shared/types/sessions'

const WAIT_MS = 15_000

// Logs in over IMAP (STARTTLS, from a chosen loopback address), says READY, then keeps the session
// open with a NOOP a second until the server closes it (CLOSED) or stdin ends.
const HOLD_SCRIPT = `
import imaplib, socket, ssl, sys, time
port, user, password, source = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class Client(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))
m = Client('127.0.0.1', port, timeout=15)
m.starttls(ssl._create_unverified_context())
m.login(user, password)
print('READY', flush=True)
try:
    for _ in range(120):
        time.sleep(0.5)
        m.noop()
    print('TIMEOUT', flush=True)
except Exception:
    print('CLOSED', flush=True)
`

interface HeldSession {
  child: ChildProcessWithoutNullStreams
  output: () => string
  waitFor: (word: string) => Promise<void>
}

function holdImapSession(port: number, user: string, password: string, source: string): HeldSession {
  const child = spawn('python3', ['-c', HOLD_SCRIPT, String(port), user, password, source])
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const waitFor = async (word: string) => {
    const deadline = Date.now() + WAIT_MS
    while (!output.includes(word)) {
      if (Date.now() > deadline || (child.exitCode !== null && !output.includes(word))) throw new Error(`IMAP client never said ${word}: ${output}`)
      await new Promise(r => setTimeout(r, 50))
    }
  }
  return { child, output: () => output, waitFor }
}

/** Polls until `check` returns a value, or fails with what was seen last. */
async function eventually<T>(what: string, read: () => Promise<T | undefined>, last: () => unknown): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(last())}`)
    await new Promise(r => setTimeout(r, 200))
  }
}

describe('logs and sessions on real Postfix and Dovecot', () => {
  let stack: ManagedStack | undefined
  const domain = `ls${randomBytes(4).toString('hex')}.example`
  const alice = { user: `alice@${domain}`, password: 'Alice-pass-1' }
  const bob = { user: `bob@${domain}`, password: 'Bob-pass-1' }
  const held: HeldSession[] = []

  const api = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> => stack!.api<T>(path, opts)

  beforeAll(async () => {
    stack = await startManagedStack()
    const d = await api<{ id: number }>('/api/v1/domains', { body: { name: domain } })
    expect(d.status).toBe(201)
    for (const [who, local] of [[alice, 'alice'], [bob, 'bob']] as const) {
      const m = await api('/api/v1/mailboxes', { body: { domain_id: d.body.id, username: local, password: who.password } })
      expect(m.status, JSON.stringify(m.body)).toBe(201)
    }
  })

  afterAll(async () => {
    for (const h of held) h.child.kill('SIGKILL')
    await stack?.stop()
  })

  it('an open IMAP login is listed with protocol imap and its remote address; kick ends it, and it is audited', async () => {
    const source = `127.0.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`
    const session = holdImapSession(stack!.ports.imap, alice.user, alice.password, source)
    held.push(session)
    await session.waitFor('READY')

    let last: ApiResponse<SessionsResponse> | undefined
    const listed = await eventually('alice is never listed', async () => {
      last = await api<SessionsResponse>('/api/v1/sessions')
      expect(last.status, JSON.stringify(last.body)).toBe(200)
      return last.body.data.find(s => s.user === alice.user)
    }, () => last?.body)
    expect(listed).toMatchObject({ user: alice.user, protocol: 'imap', remote_ip: source, connections: 1 })
    expect(listed.pids).toHaveLength(1)

    const kick = await api<SessionKickResponse>('/api/v1/sessions/kick', { body: { user: alice.user } })
    expect(kick.status, JSON.stringify(kick.body)).toBe(200)
    expect(kick.body.kicked).toContain(alice.user)
    await session.waitFor('CLOSED')
    await eventually('alice is still listed after the kick', async () => {
      last = await api<SessionsResponse>('/api/v1/sessions')
      return last.body.data.some(s => s.user === alice.user) ? undefined : true
    }, () => last?.body)

    // Nobody left to disconnect: a 404, not a silent success.
    expectError(await api('/api/v1/sessions/kick', { body: { user: alice.user } }), 404, 'SESSION_NOT_FOUND')
    const audit = readFileSync(join(stack!.server.root, 'etc/backendside-mailpanel/audit.log'), 'utf8').split('\n').filter(Boolean)
      .map(l => JSON.parse(l) as { action: string, target: string, status: number })
    expect(audit).toContainEqual(expect.objectContaining({ action: 'POST /api/v1/sessions/kick', target: alice.user, status: 200 }))
    expect(audit).toContainEqual(expect.objectContaining({ action: 'POST /api/v1/sessions/kick', target: alice.user, status: 404 }))
  })

  it('a sent message\'s queue id shows in the Postfix log read from the rendered maillog_file; q filters literally', async () => {
    const sent = await sendMail({ port: stack!.ports.submission, from: alice.user, to: bob.user, subject: 'logs-e2e', auth: alice })
    expect(sent.code, sent.output).toBe(0)
    const qid = /queued as ([0-9A-Za-z]+)/.exec(sent.output)?.[1]
    expect(qid, sent.output).toBeTruthy()

    let last: ApiResponse<LogsResponse> | undefined
    const delivered = await eventually('the delivery never shows in the log', async () => {
      last = await api<LogsResponse>('/api/v1/logs?service=postfix&lines=1000')
      expect(last.status, JSON.stringify(last.body)).toBe(200)
      return last.body.data.find(l => l.text.includes(`${qid}:`) && l.text.includes('status=sent'))
    }, () => last?.body.data.slice(-20))
    expect(last!.body).toMatchObject({ service: 'postfix', source: 'file', file: stack!.ctx.postfix.maillog_file, lines: 1000 })
    expect(delivered.level).toBe('success')
    expect(Date.now() - Date.parse(delivered.time!)).toBeLessThan(5 * 60_000)

    // Case-insensitive and literal: every line returned carries the queue id.
    const byId = await api<LogsResponse>(`/api/v1/logs?service=postfix&lines=50&q=${qid!.toLowerCase()}`)
    expect(byId.status).toBe(200)
    expect(byId.body.data.length).toBeGreaterThanOrEqual(3)
    for (const line of byId.body.data) expect(line.text.toLowerCase()).toContain(qid!.toLowerCase())
    // As a regular expression `<qid>.*status` would match the delivery line; as a literal it matches nothing.
    const regex = await api<LogsResponse>(`/api/v1/logs?service=postfix&lines=50&q=${encodeURIComponent(`${qid}.*status`)}`)
    expect(regex.status).toBe(200)
    expect(regex.body.data).toEqual([])
    const bracket = await api<LogsResponse>(`/api/v1/logs?service=postfix&lines=50&q=${encodeURIComponent('[')}`)
    expect(bracket.status).toBe(200)
    for (const line of bracket.body.data) expect(line.text).toContain('[')
  })

  it('Dovecot\'s log comes from its rendered log_path, logins green', async () => {
    let last: ApiResponse<LogsResponse> | undefined
    const login = await eventually('no login line in the Dovecot log', async () => {
      last = await api<LogsResponse>(`/api/v1/logs?service=dovecot&lines=500&q=${encodeURIComponent(`user=<${alice.user}>`)}`)
      expect(last.status, JSON.stringify(last.body)).toBe(200)
      return last.body.data.find(l => /Login: user=/.test(l.text))
    }, () => last?.body)
    expect(last!.body).toMatchObject({ source: 'file', file: stack!.ctx.dovecot.log_path })
    expect(login.level).toBe('success')
    expect(login.time).not.toBeNull()
  })
})
