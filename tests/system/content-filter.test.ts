import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchMessage, sendMail } from '../support/mail-clients'
import { startMailStack, TEST_VIRUS_SIGNATURE } from '../support/mail-stack'
import { startManagedStack, waitForRun, type ManagedStack } from '../support/managed-stack'

// The after-queue content filter chain the panel wires in when ClamAV (clamsmtp) and spampd are
// installed: Postfix → clamsmtpd (real clamd, with a signature database of the test's own: there is
// no internet for freshclam) → spampd (SpamAssassin with its shipped rules) → Postfix's reinjection
// listener → Dovecot. Configured only from what the reconciler rendered.
const DOMAIN = 'filter.e2e.test'
const ALICE = { user: `alice@${DOMAIN}`, password: 'S3cret-alice-filter' }
// SpamAssassin's standard test string: always scores as spam.
const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

let stack: ManagedStack

beforeAll(async () => {
  stack = await startManagedStack({ startDaemons: false, contentFilters: true })
  // Greylisting and the DNSBL are proven elsewhere; here every message must reach the filters at once.
  const put = await stack.api('/api/v1/config/antispam', { method: 'PUT', body: { greylist_enabled: false, dnsbl_enabled: false, spf_enabled: false, clamav_enabled: true, spampd_enabled: true } })
  expect(put.status, JSON.stringify(put.body)).toBe(200)
  const run = await waitForRun(stack.api, 'antispam')
  expect(run.ok, JSON.stringify(run)).toBe(true)
  const domain = await stack.api<{ id: number }>('/api/v1/domains', { body: { name: DOMAIN } })
  expect(domain.status).toBe(201)
  expect((await stack.api('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: 'alice', password: ALICE.password } })).status).toBe(201)
  stack.daemons = await startMailStack(stack.ctx, stack.ports, { helpers: ['clamsmtp', 'spampd'] })
}, 120_000)

afterAll(async () => {
  await stack?.daemons?.stop()
  await stack?.stop()
})

const unique = (what: string) => `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`
const inbound = (subject: string, body: string) => sendMail({ port: stack.ports.smtp, from: 'sender@elsewhere.e2e.test', to: ALICE.user, subject, body })
const inbox = (subject: string, waitMs?: number) => fetchMessage(stack.ports.imap, ALICE.user, ALICE.password, subject, waitMs)
const logs = () => stack.daemons?.logs() ?? ''

describe('ClamAV and SpamAssassin as Postfix\'s content filter', () => {
  it('a clean message passes both filters and arrives with their headers', async () => {
    const subject = unique('clean')
    const sent = await inbound(subject, 'Lunch on Friday?')
    expect(sent.code, sent.output).toBe(0)
    const message = await inbox(subject, 20_000)
    expect(message, logs()).toBeDefined()
    expect(message).toMatch(/^X-Virus-Scanned: ClamAV using ClamSMTP/m)
    expect(message).toMatch(/^X-Spam-Status: No, score=/m)
    expect(message).not.toMatch(/^X-Spam-Flag: YES/m)
  }, 60_000)

  it('a message carrying a virus is dropped; one after it still arrives', async () => {
    const infected = unique('infected')
    expect((await inbound(infected, `see attached ${TEST_VIRUS_SIGNATURE.marker} thanks`)).code).toBe(0)
    const after = unique('after-virus')
    expect((await inbound(after, 'nothing to see')).code).toBe(0)
    expect(await inbox(after, 20_000), logs()).toBeDefined()
    expect(await inbox(infected, 500)).toBeUndefined()
    expect(logs()).toContain(TEST_VIRUS_SIGNATURE.name)
  }, 60_000)

  it('spam is tagged, not lost: GTUBE arrives with X-Spam-Flag: YES', async () => {
    const subject = unique('gtube')
    expect((await inbound(subject, `Cheap watches ${GTUBE}`)).code).toBe(0)
    const message = await inbox(subject, 20_000)
    expect(message, logs()).toBeDefined()
    expect(message).toMatch(/^X-Spam-Flag: YES/m)
    // The status header folds its test list over several lines.
    expect(message).toMatch(/^X-Spam-Status: Yes, score=[\s\S]*?\bGTUBE\b/m)
  }, 60_000)
})
