import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { confirmDialog, poll, startDashboard, toast, type Dashboard } from '../support/browser'
import { PolicyClient, policyRequest } from '../support/policy-client'

const DOMAIN = `pd${Date.now().toString(36)}.example`
const DAILY_LIMIT = 5

let d: Dashboard
let policy: PolicyClient
let port: number
const ids: Record<'jane' | 'bob', number> = { jane: 0, bob: 0 }

const call = <T = Record<string, unknown>>(path: string, body?: unknown, method?: string) =>
  api<T>(path, { baseUrl: d.server.url, body, method })

/** One message as Postfix's submission smtpd reports it at END-OF-MESSAGE: the point where the daemon counts. */
async function send(user: keyof typeof ids) {
  const action = await policy.ask(policyRequest({ sasl_username: `${user}@${DOMAIN}`, protocol_state: 'END-OF-MESSAGE', recipient_count: '1', size: '2048' }))
  expect(action).toBe('DUNNO')
}

const usageRow = (user: string) => d.w.page.getByTestId('policyd-usage').getByRole('row').filter({ hasText: `${user}@${DOMAIN}` })

describe('the policy daemon tab in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    const domain = await call<{ id: number }>('/api/v1/domains', { name: DOMAIN })
    for (const user of ['jane', 'bob'] as const) {
      const res = await call<{ id: number }>('/api/v1/mailboxes', { domain_id: domain.body.id, username: user, password: 'mailbox-pass-123' })
      ids[user] = res.body.id
    }
    expect((await call(`/api/v1/mailboxes/${ids.jane}/config`, { daily_send_limit: DAILY_LIMIT }, 'PUT')).status).toBe(200)
    // The test server's policy daemon listens on a free port, which the status reports.
    port = (await call<{ port: number }>('/api/v1/policyd/status')).body.port
    policy = await PolicyClient.open(port)
    for (let i = 0; i < 3; i++) await send('jane')
    await send('bob')
    // An unauthenticated (inbound) request: passed without a count, under its own reason.
    expect(await policy.ask(policyRequest({ sasl_username: '' }))).toBe('DUNNO')
  })

  afterAll(async () => {
    await policy?.close()
    await d?.close()
  })

  it('shows the listener, the counters by decision and reason, and today\'s usage', async () => {
    await d.w.page.goto('/policy-daemon')
    await d.signIn()
    await d.w.page.getByTestId('policyd-listening').getByText(`Listening on 127.0.0.1:${port}`).waitFor()
    expect(await d.w.page.getByTestId('policyd-requests').innerText()).toBe('5')
    const reasons = await d.w.page.getByTestId('policyd-reasons').innerText()
    expect(reasons).toContain('within limits: 4')
    expect(reasons).toContain('not signed in (inbound): 1')
    expect(await usageRow('jane').getByTestId(`sent-${ids.jane}`).innerText()).toBe(`3 / ${DAILY_LIMIT}`)
    const serverDefault = (await call<{ daily_send_limit: number }>('/api/v1/config/server')).body.daily_send_limit
    expect(await usageRow('bob').getByTestId(`sent-${ids.bob}`).innerText()).toBe(`1 / ${serverDefault}`)
    await d.w.screenshot('policy-daemon')
  })

  it('refreshes on its own every 10 seconds', async () => {
    await send('jane')
    await poll(() => usageRow('jane').getByTestId(`sent-${ids.jane}`).innerText()).toBe(`4 / ${DAILY_LIMIT}`)
  })

  it('links a sender to its mailbox page, which shows today\'s count against the limit', async () => {
    await usageRow('jane').getByRole('link', { name: `jane@${DOMAIN}` }).click()
    await d.w.page.waitForURL(new RegExp(`/mailboxes/${ids.jane}$`))
    await poll(() => d.w.page.getByTestId('sent-today').innerText()).toMatch(new RegExp(`^4 / ${DAILY_LIMIT}\\b`))
    await d.w.screenshot('mailbox-sent-today')
    await d.w.page.goBack()
  })

  it('resets a mailbox\'s count after confirmation; the others keep theirs', async () => {
    await usageRow('jane').getByRole('button', { name: `Reset today's count of jane@${DOMAIN}` }).click()
    await d.w.page.getByText(`Reset today's count of jane@${DOMAIN}?`).waitFor()
    await confirmDialog(d.w.page)
    await toast(d.w.page, 'Daily send count cleared').waitFor()
    await poll(() => usageRow('jane').count()).toBe(0)
    expect(await usageRow('bob').count()).toBe(1)
    const status = await call<{ usage: { top: { mailbox_id: number, sent: number }[] } }>('/api/v1/policyd/status')
    expect(status.body.usage.top.map(r => r.mailbox_id)).toEqual([ids.bob])
    // The daemon sees the reset at once: jane may send her full limit again.
    await send('jane')
    await poll(() => usageRow('jane').getByTestId(`sent-${ids.jane}`).innerText()).toBe(`1 / ${DAILY_LIMIT}`)
  })

  it('changes the fail mode, each explained in one line', async () => {
    const form = d.w.page.getByTestId('fail-mode-form')
    await form.getByText('senders get a temporary 451 and retry later').waitFor()
    await form.getByText('mail keeps flowing unchecked').waitFor()
    await form.getByRole('radio', { name: 'dunno' }).click()
    await form.getByTestId('save-fail-mode').click()
    await toast(d.w.page, 'Policy daemon settings updated').waitFor()
    expect((await call('/api/v1/policyd/settings')).body).toEqual({ policyd_fail_mode: 'dunno' })
    await d.w.screenshot('policy-daemon-fail-mode')
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(d.w.foreign()).toEqual([])
    expect(d.unexpectedErrors()).toEqual([])
  })
})
