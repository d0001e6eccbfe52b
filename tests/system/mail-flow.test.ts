import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiResponse, RequestOptions } from '../support/client'
import { imapView, sendMail, type ImapView } from '../support/mail-clients'
import type { MailStackPorts } from '../support/mail-stack'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'

const exec = promisify(execFile)
const DELIVERY_TIMEOUT_MS = 10_000
const SPECIAL_FOLDERS = ['Drafts', 'Sent', 'Trash', 'Junk']

// The panel creates accounts over its API; real Postfix and Dovecot, configured only from the
// files the panel's reconciler wrote, must then accept, refuse, deliver and authenticate exactly as the data says.
describe('mail flow through real Postfix and Dovecot', () => {
  let stack: ManagedStack | undefined
  let ports: MailStackPorts
  const domain = `e2e${randomBytes(4).toString('hex')}.example`
  const alice = { user: `alice@${domain}`, password: 'Alice-pass-1' }
  const bob = { user: `bob@${domain}`, password: 'Bob-pass-1' }
  let domainId = 0
  let bobId = 0
  let aliceId = 0
  let dovecotConf = ''

  const api = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> => stack!.api<T>(path, opts)

  async function waitForSubject(user: { user: string, password: string }, subject: string): Promise<ImapView> {
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS
    for (;;) {
      const view = await imapView(ports.imap, user.user, user.password)
      if (view.subjects?.some(s => s.includes(subject))) return view
      if (Date.now() > deadline) throw new Error(`"${subject}" never reached ${user.user}: ${JSON.stringify(view)}\n${stack?.daemons?.logs()}`)
      await new Promise(r => setTimeout(r, 200))
    }
  }

  beforeAll(async () => {
    stack = await startManagedStack()
    ports = stack.ports
    dovecotConf = join(stack.ctx.dovecot.config_directory, 'dovecot.conf')

    const d = await api<{ id: number }>('/api/v1/domains', { body: { name: domain } })
    expect(d.status).toBe(201)
    domainId = d.body.id
    for (const [who, local] of [[alice, 'alice'], [bob, 'bob']] as const) {
      const m = await api<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domainId, username: local, password: who.password } })
      expect(m.status).toBe(201)
      if (local === 'bob') bobId = m.body.id
      else aliceId = m.body.id
    }
    const a = await api('/api/v1/aliases', { body: { domain_id: domainId, source: 'info', destinations: [alice.user] } })
    expect(a.status).toBe(201)
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('submission (STARTTLS + AUTH PLAIN) delivers to a mailbox and through an alias; IMAP shows them and the special folders', async () => {
    const toBob = await sendMail({ port: ports.submission, from: alice.user, to: bob.user, subject: 'hello-bob', auth: alice })
    expect(toBob.code, toBob.output).toBe(0)
    const toInfo = await sendMail({ port: ports.submission, from: alice.user, to: `info@${domain}`, subject: 'via-alias', auth: alice })
    expect(toInfo.code, toInfo.output).toBe(0)

    await waitForSubject(bob, 'hello-bob')
    const view = await waitForSubject(alice, 'via-alias')
    for (const folder of SPECIAL_FOLDERS) {
      expect(view.folders!.some(f => f.includes(`\\${folder}`) && f.endsWith(` ${folder}`)), JSON.stringify(view.folders)).toBe(true)
    }
  })

  it('submission refuses AUTH before STARTTLS and mail without AUTH', async () => {
    const plain = await sendMail({ port: ports.submission, from: alice.user, to: bob.user, subject: 'no-tls', auth: alice, tls: false })
    expect(plain.code).not.toBe(0)
    expect(plain.output).not.toMatch(/250-AUTH/)
    const anonymous = await sendMail({ port: ports.submission, from: alice.user, to: bob.user, subject: 'no-auth', tls: true })
    expect(anonymous.code).not.toBe(0)
    // swaks marks errors inside TLS with `<~*`.
    expect(anonymous.output).toMatch(/<~\* +554 5\.7\.1 .*Client host rejected: Access denied/)
  })

  it('a user can send as their own alias but not as another user', async () => {
    const asAlias = await sendMail({ port: ports.submission, from: `info@${domain}`, to: bob.user, subject: 'from-alias', auth: alice })
    expect(asAlias.code, asAlias.output).toBe(0)
    const asBob = await sendMail({ port: ports.submission, from: bob.user, to: alice.user, subject: 'spoofed', auth: alice })
    expect(asBob.code).not.toBe(0)
    expect(asBob.output).toMatch(/553 5\.7\.1 .*Sender address rejected: not owned by user/)
  })

  it('a catch-all alias takes unknown addresses but not mail for real mailboxes', async () => {
    const catchAll = await api<{ id: number }>('/api/v1/aliases', { body: { domain_id: domainId, source: `@${domain}`, destinations: [bob.user] } })
    expect(catchAll.status).toBe(201)
    const unknown = await sendMail({ port: ports.smtp, from: 'someone@outside.test', to: `nobody@${domain}`, subject: 'to-catch-all' })
    expect(unknown.code, unknown.output).toBe(0)
    const direct = await sendMail({ port: ports.smtp, from: 'someone@outside.test', to: alice.user, subject: 'to-alice-direct' })
    expect(direct.code, direct.output).toBe(0)
    await waitForSubject(alice, 'to-alice-direct')
    const bobView = await waitForSubject(bob, 'to-catch-all')
    expect(bobView.subjects!.some(s => s.includes('to-alice-direct'))).toBe(false)
    // Removed again: the tests below expect unknown addresses to be refused.
    expect((await api(`/api/v1/aliases/${catchAll.body.id}`, { method: 'DELETE' })).status).toBe(200)
  })

  it('the userdb gives Dovecot the mailbox\'s effective quota', async () => {
    expect((await api(`/api/v1/mailboxes/${aliceId}`, { method: 'PUT', body: { quota_mb: 7 } })).status).toBe(200)
    const { stdout } = await exec('doveadm', ['-c', dovecotConf, 'quota', 'get', '-u', alice.user])
    expect(stdout).toMatch(/STORAGE\s+\d+\s+7168\s/)
  })

  it('a wrong password fails IMAP login', async () => {
    expect((await imapView(ports.imap, alice.user, 'wrong-password')).login).toBe(false)
    expect((await imapView(ports.imap, alice.user, alice.password)).login).toBe(true)
  })

  it('a password changed over the API works at once and the old one stops working', async () => {
    const res = await api(`/api/v1/mailboxes/${bobId}/password`, { method: 'PATCH', body: { password: 'Bob-pass-2' } })
    expect(res.status).toBe(200)
    expect((await imapView(ports.imap, bob.user, 'Bob-pass-2')).login).toBe(true)
    expect((await imapView(ports.imap, bob.user, bob.password)).login).toBe(false)
    bob.password = 'Bob-pass-2'
  })

  it('a mailbox set inactive cannot log in (IMAP or SMTP AUTH) and receives no mail', async () => {
    expect((await api(`/api/v1/mailboxes/${bobId}`, { method: 'PUT', body: { active: false } })).status).toBe(200)
    expect((await imapView(ports.imap, bob.user, bob.password)).login).toBe(false)
    const auth = await sendMail({ port: ports.submission, from: bob.user, to: alice.user, subject: 'inactive', auth: bob })
    expect(auth.code).not.toBe(0)
    expect(auth.output).toMatch(/535 5\.7\.8/)
    const inbound = await sendMail({ port: ports.smtp, from: 'someone@outside.test', to: bob.user, subject: 'to-inactive' })
    expect(inbound.output).toMatch(/550 5\.1\.1 .*Recipient address rejected/)
  })

  it('after the domain is deleted its mail is rejected at RCPT time', async () => {
    const before = await sendMail({ port: ports.smtp, from: 'someone@outside.test', to: alice.user, subject: 'inbound-before' })
    expect(before.code, before.output).toBe(0)
    await waitForSubject(alice, 'inbound-before')

    expect((await api(`/api/v1/domains/${domainId}`, { method: 'DELETE' })).status).toBe(200)
    const after = await sendMail({ port: ports.smtp, from: 'someone@outside.test', to: alice.user, subject: 'inbound-after' })
    expect(after.code).not.toBe(0)
    // 554 relay access denied, or 550 unknown user when this smtpd still has the domain's class cached.
    expect(after.output).toMatch(/RCPT TO:<alice@[^>]+>\s*\n<\*\* +5\d\d 5\.\d\.\d /)
    expect(after.output).not.toMatch(/DATA/)
    expect((await imapView(ports.imap, alice.user, alice.password)).login).toBe(false)
  })
})
