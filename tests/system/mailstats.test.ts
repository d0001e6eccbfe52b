import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchMessage, sendMail } from '../support/mail-clients'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import type { MailStatsResponse } from '#shared/types/mailstats-api'

// The stats collector on what a real Postfix logs (postlogd's maillog_file, classic syslog stamps):
// an authenticated submission, an inbound message and a refused recipient show up in GET /stats/mail.
const DOMAIN = 'stats.e2e.test'
const ALICE = { user: `alice@${DOMAIN}`, password: 'S3cret-alice-stats' }
const BOB = { user: `bob@${DOMAIN}`, password: 'S3cret-bob-stats' }

let stack: ManagedStack

beforeAll(async () => {
  stack = await startManagedStack({ env: { MAILSTATS_INTERVAL_S: '0.5' } })
  const domain = await stack.api<{ id: number }>('/api/v1/domains', { body: { name: DOMAIN } })
  expect(domain.status).toBe(201)
  for (const [who, local] of [[ALICE, 'alice'], [BOB, 'bob']] as const) {
    expect((await stack.api('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: local, password: who.password } })).status).toBe(201)
  }
}, 120_000)
afterAll(async () => {
  await stack?.stop()
})

async function statsReach(want: Partial<Record<'received' | 'sent' | 'delivered' | 'rejected', number>>): Promise<MailStatsResponse> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const { body } = await stack.api<MailStatsResponse>('/api/v1/stats/mail?range=1h')
    if (Object.entries(want).every(([k, v]) => body.last_hour[k as keyof typeof want] === v)) return body
    if (Date.now() > deadline) throw new Error(`stats never reached ${JSON.stringify(want)}: ${JSON.stringify(body)}\n${stack.daemons?.logs()}`)
    await new Promise(r => setTimeout(r, 250))
  }
}

describe('mail statistics from the real Postfix log', () => {
  it('counts an authenticated submission as sent, inbound mail as received, deliveries, and a refused recipient by class', async () => {
    const submitted = `stats-sent-${Date.now()}`
    expect((await sendMail({ port: stack.ports.submission, from: ALICE.user, to: BOB.user, subject: submitted, auth: ALICE })).code).toBe(0)
    const inbound = `stats-inbound-${Date.now()}`
    expect((await sendMail({ port: stack.ports.smtp, from: 'someone@elsewhere.e2e.test', to: ALICE.user, subject: inbound })).code).toBe(0)
    const refused = await sendMail({ port: stack.ports.smtp, from: 'someone@elsewhere.e2e.test', to: `nobody@${DOMAIN}`, subject: 'stats-refused' })
    expect(refused.output).toMatch(/550 5\.1\.1/)
    expect(await fetchMessage(stack.ports.imap, BOB.user, BOB.password, submitted)).toBeDefined()
    expect(await fetchMessage(stack.ports.imap, ALICE.user, ALICE.password, inbound)).toBeDefined()

    const stats = await statsReach({ received: 2, sent: 1, delivered: 2, rejected: 1 })
    expect(stats.last_hour.rejects.unknown_user).toBe(1)
    expect(stats.top_senders.mailboxes).toEqual([{ name: ALICE.user, sent: 1 }])
    expect(stats.top_senders.domains).toEqual([{ name: DOMAIN, sent: 1 }])
    expect(stats.collector).toMatchObject({ path: stack.ctx.postfix.maillog_file, error: null })
    expect(stats.series.reduce((n, p) => n + p.delivered, 0)).toBe(2)
  }, 60_000)
})
