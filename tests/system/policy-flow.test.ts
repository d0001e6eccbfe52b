import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { imapView, sendMail, type SmtpMessage } from '../support/mail-clients'
import { startManagedStack, waitForRun, type ManagedStack } from '../support/managed-stack'

const DELIVERY_TIMEOUT_MS = 10_000

// The panel's policy daemon, wired into Postfix by the reconciler, enforcing each mailbox's
// effective limits on real submissions: refusals at SMTP time, with texts that name the limit.
describe('sending limits through real Postfix and the panel\'s policy daemon', () => {
  let stack: ManagedStack
  const domain = `pol${randomBytes(4).toString('hex')}.example`
  const password = 'Policy-pass-1'
  const ids: Record<string, number> = {}
  const user = (name: string) => ({ user: `${name}@${domain}`, password })
  const submit = (from: string, extra: Partial<SmtpMessage> = {}) =>
    sendMail({ port: stack.ports.submission, from: `${from}@${domain}`, to: `inbox@${domain}`, subject: `from-${from}`, auth: user(from), ...extra })

  async function mailbox(name: string, limits: Record<string, unknown> = {}): Promise<void> {
    const res = await stack.api<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: ids.domain, username: name, password } })
    expect(res.status).toBe(201)
    ids[name] = res.body.id
    if (Object.keys(limits).length) expect((await stack.api(`/api/v1/mailboxes/${res.body.id}/config`, { method: 'PUT', body: limits })).status).toBe(200)
  }

  async function inboxSubjects(): Promise<string[]> {
    return (await imapView(stack.ports.imap, `inbox@${domain}`, password)).subjects ?? []
  }

  beforeAll(async () => {
    stack = await startManagedStack()
    const d = await stack.api<{ id: number }>('/api/v1/domains', { body: { name: domain } })
    expect(d.status).toBe(201)
    ids.domain = d.body.id
    await mailbox('inbox')
    await mailbox('capped', { daily_send_limit: 3 })
    await mailbox('muted', { smtp_enabled: false })
    await mailbox('printer', { require_tls: false })
    await mailbox('strict') // require_tls comes from the server tier (on by default)
    await mailbox('small', { max_message_size: 2048, max_recipients: 1 })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('the reconciler wired the daemon into Postfix', () => {
    const main = readFileSync(`${stack.ctx.postfix.config_directory}/main.cf`, 'utf8')
    expect(main).toContain(`mailpanel_submission_recipient_restrictions = check_policy_service inet:127.0.0.1:${stack.ports.policyd}, permit_sasl_authenticated, reject`)
    expect(main).toContain(`mailpanel_submission_end_of_data_restrictions = check_policy_service inet:127.0.0.1:${stack.ports.policyd}`)
  })

  it('a mailbox with a daily limit of 3 sends 3 messages; the 4th is refused at RCPT time with 450 4.7.1', async () => {
    for (let i = 1; i <= 3; i++) {
      const ok = await submit('capped', { subject: `capped-${i}` })
      expect(ok.code, ok.output).toBe(0)
    }
    const fourth = await submit('capped', { subject: 'capped-4' })
    expect(fourth.code, fourth.output.slice(-1500)).not.toBe(0)
    // swaks marks errors inside TLS with `<~*`; the refusal comes right after RCPT TO, before DATA.
    expect(fourth.output.slice(-1500)).toMatch(/RCPT TO:<inbox@[^>]+>\s*\n<~\* +450 4\.7\.1 .*Daily sending limit reached: this mailbox may send 3 messages per day/)
    expect(fourth.output).not.toMatch(/~> DATA/)
    await expect.poll(async () => (await inboxSubjects()).filter(s => s.includes('capped-')).length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(3)

    const status = (await stack.api<{ usage: { top: { mailbox_id: number, sent: number, daily_send_limit: number }[] } }>('/api/v1/policyd/status')).body
    expect(status.usage.top.find(r => r.mailbox_id === ids.capped)).toMatchObject({ sent: 3, daily_send_limit: 3 })
    // After a reset from the API the mailbox can send again at once.
    expect((await stack.api(`/api/v1/policyd/reset/${ids.capped}`, { method: 'POST' })).status).toBe(200)
    const again = await submit('capped', { subject: 'capped-after-reset' })
    expect(again.code, again.output).toBe(0)
  })

  it('a mailbox with sending disabled is refused, and sends again once enabled', async () => {
    const refused = await submit('muted')
    expect(refused.code).not.toBe(0)
    expect(refused.output).toMatch(/<~\* +550 5\.7\.1 .*[Ss]ending .*disabled/)
    expect((await stack.api(`/api/v1/mailboxes/${ids.muted}/config`, { method: 'PUT', body: { smtp_enabled: null } })).status).toBe(200)
    const ok = await submit('muted', { subject: 'muted-enabled' })
    expect(ok.code, ok.output).toBe(0)
  })

  it('on the plain submission service, a require-TLS mailbox is refused and a mailbox without it is accepted', async () => {
    const strict = await sendMail({ port: stack.ports.submissionPlain, from: `strict@${domain}`, to: `inbox@${domain}`, subject: 'strict-plain', auth: user('strict'), tls: false })
    expect(strict.code).not.toBe(0)
    // AUTH worked in the clear (235); the policy daemon refused at RCPT (no `~` markers: no TLS).
    expect(strict.output).toMatch(/<- +235 /)
    expect(strict.output).toMatch(/<\*\* +530 5\.7\.0 .*TLS/)
    const printer = await sendMail({ port: stack.ports.submissionPlain, from: `printer@${domain}`, to: `inbox@${domain}`, subject: 'printer-plain', auth: user('printer'), tls: false })
    expect(printer.code, printer.output).toBe(0)
    // The same require-TLS mailbox is fine once it uses STARTTLS on that port.
    const strictTls = await sendMail({ port: stack.ports.submissionPlain, from: `strict@${domain}`, to: `inbox@${domain}`, subject: 'strict-tls', auth: user('strict'), tls: true })
    expect(strictTls.code, strictTls.output).toBe(0)
    await expect.poll(async () => (await inboxSubjects()).filter(s => /printer-plain|strict-tls/.test(s)).length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(2)
  })

  it('message size and recipient limits are enforced at the end of DATA', async () => {
    const big = await submit('small', { subject: 'too-big', body: 'x'.repeat(4096) })
    expect(big.code).not.toBe(0)
    expect(big.output).toMatch(/<~\* +552 5\.3\.4 /)
    const many = await submit('small', { subject: 'too-many', to: [`inbox@${domain}`, `capped@${domain}`] })
    expect(many.code).not.toBe(0)
    expect(many.output).toMatch(/<~\* +550 5\.5\.3 /)
    const fine = await submit('small', { subject: 'small-fine' })
    expect(fine.code, fine.output).toBe(0)
  })

  // Last: it stops the panel.
  it('when the panel itself is down, Postfix follows policyd_fail_mode: defer → 451, dunno → mail keeps flowing', async () => {
    const mainCf = () => readFileSync(`${stack.ctx.postfix.config_directory}/main.cf`, 'utf8')
    expect(mainCf()).toContain('smtpd_policy_service_default_action = 451 4.3.0 Sending limits cannot be checked right now; try again later')
    expect((await stack.api('/api/v1/policyd/settings', { method: 'PUT', body: { policyd_fail_mode: 'dunno' } })).status).toBe(200)
    const run = await waitForRun(stack.api, 'policyd-settings')
    expect(run.ok, JSON.stringify(run.errors)).toBe(true)
    expect(mainCf()).toContain('smtpd_policy_service_default_action = DUNNO')
    await stack.server.stop()
    const ok = await submit('inbox', { subject: 'panel-down' })
    expect(ok.code, ok.output).toBe(0)
  })
})
