import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDnsStub, type DnsStub } from '../support/dns-stub'
import { fetchMessage, sendMail, type ClientResult, type SmtpMessage } from '../support/mail-clients'
import { startMailStack } from '../support/mail-stack'
import { startManagedStack, waitForRun, type ManagedStack } from '../support/managed-stack'
import { createClientNetwork, type ClientNetwork } from '../support/netns'

// Inbound mail from clients that are not loopback (a network namespace of the test's own, joined by a
// veth pair), names resolved by the test's own DNS zone (every daemon in a mount namespace whose
// /etc/resolv.conf points at it), real Postfix, Dovecot, OpenDKIM, OpenDMARC, policyd-spf and postgrey,
// each configured only from what the panel's reconciler rendered from the API's settings.
const DOMAIN = 'antispam.e2e.test'
const ALICE = { user: `alice@${DOMAIN}`, password: 'S3cret-alice-spam' }
const POSTMASTER = `postmaster@${DOMAIN}`
const DNSBL = 'dnsbl.e2e.test'
const GREYLIST_DELAY_S = 2
// One client host per case: postgrey remembers (client, sender, recipient) triplets.
const CLIENT = { greylisted: 20, spfFail: 21, dmarcFail: 22, listed: 30, whitelistedIp: 40, whitelistedRecipient: 50, inWhitelistedNet: 70 }

let network: ClientNetwork
let dns: DnsStub
let stack: ManagedStack

const reversed = (ip: string) => ip.split('.').reverse().join('.')

beforeAll(async () => {
  network = await createClientNetwork(Object.values(CLIENT))
  const at = network.clientAddress
  dns = await startDnsStub([
    // The test's DNSBL lists one client (Postfix asks for A; the TXT is the reason it quotes).
    { name: `${reversed(at(CLIENT.listed))}.${DNSBL}`, type: 'A', data: '127.0.0.2' },
    { name: `${reversed(at(CLIENT.listed))}.${DNSBL}`, type: 'TXT', data: 'listed by the test zone' },
    // spf.e2e.test lets three of the clients send for it; strict.e2e.test publishes a DMARC policy nobody here aligns with.
    { name: 'spf.e2e.test', type: 'TXT', data: `v=spf1 ip4:${at(CLIENT.greylisted)} ip4:${at(CLIENT.dmarcFail)} ip4:${at(CLIENT.listed)} -all` },
    { name: '_dmarc.spf.e2e.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'strict.e2e.test', type: 'TXT', data: 'v=spf1 -all' },
    { name: '_dmarc.strict.e2e.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
  ])
  stack = await startManagedStack({ startDaemons: false, smtpHost: network.hostAddress })
  const put = await stack.api('/api/v1/config/antispam', { method: 'PUT', body: { greylist_delay: GREYLIST_DELAY_S, dnsbl_zones: [DNSBL], greylist_enabled: true, dnsbl_enabled: true, spf_enabled: true, dmarc_enabled: true } })
  expect(put.status, JSON.stringify(put.body)).toBe(200)
  const run = await waitForRun(stack.api, 'antispam')
  expect(run.ok, JSON.stringify(run)).toBe(true)

  const domain = await stack.api<{ id: number }>('/api/v1/domains', { body: { name: DOMAIN } })
  expect(domain.status).toBe(201)
  expect((await stack.api('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: 'alice', password: ALICE.password } })).status).toBe(201)
  expect((await stack.api('/api/v1/aliases', { body: { domain_id: domain.body.id, source: 'postmaster', destinations: [ALICE.user] } })).status).toBe(201)

  stack.daemons = await startMailStack(stack.ctx, stack.ports, { resolvConf: dns.resolvConf, helpers: ['opendmarc', 'postgrey'] })
}, 120_000)

afterAll(async () => {
  await stack?.daemons?.stop()
  await stack?.stop()
  await dns?.stop()
  await network?.remove()
})

/** Plain SMTP on port 25 from one client host of the namespace. */
function inbound(client: number, msg: Omit<SmtpMessage, 'port'>): Promise<ClientResult> {
  return sendMail({ ...msg, port: stack.ports.smtp, host: network.hostAddress, source: network.clientAddress(client), network })
}

/** Authenticated submission on 587 (STARTTLS + AUTH) from the same host. */
function submitted(client: number, subject: string): Promise<ClientResult> {
  return sendMail({ port: stack.ports.submission, host: network.hostAddress, source: network.clientAddress(client), network, from: ALICE.user, to: ALICE.user, subject, auth: ALICE })
}

const inbox = (subject: string, waitMs?: number) => fetchMessage(stack.ports.imap, ALICE.user, ALICE.password, subject, waitMs)
const logs = () => stack.daemons?.logs() ?? ''
/** The SMTP reply swaks printed for RCPT TO (`<** 450 …` when refused). */
const rcptReply = (res: ClientResult) => /^<\*\* (\d{3} .*)$/m.exec(res.output)?.[1] ?? /^<- {2}(250 .*queued.*)$/m.exec(res.output)?.[1] ?? res.output
const unique = (what: string) => `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`

/** Waits for a reconcile run newer than the last one before `change`, and that it succeeded. */
async function reconciled(change: () => Promise<unknown>): Promise<void> {
  type Status = { last_run: { id: number, ok: boolean, errors: string[] } | null }
  const status = async () => (await stack.api<Status>('/api/v1/reconcile/status')).body.last_run
  const before = (await status())?.id ?? 0
  await change()
  for (let i = 0; i < 300; i++) {
    const run = await status()
    if (run && run.id > before) {
      expect(run.ok, JSON.stringify(run)).toBe(true)
      return
    }
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error('no reconcile run after the change')
}

describe('anti-spam on the real daemons', () => {
  it('greylists an unknown client with 450 and accepts its retry after the delay; the mail carries the SPF and DMARC verdicts', async () => {
    const pass = { from: 'bob@spf.e2e.test', to: ALICE.user, subject: unique('greylisted') }
    // Its From: aligns with nothing that passed: DMARC fails, and observe mode still delivers it.
    const unaligned = { from: 'bounces@spf.e2e.test', to: ALICE.user, subject: unique('dmarc-fail'), headers: ['From: <ceo@strict.e2e.test>'] }
    const [first, firstUnaligned] = await Promise.all([inbound(CLIENT.greylisted, pass), inbound(CLIENT.dmarcFail, unaligned)])
    for (const res of [first, firstUnaligned]) {
      expect(res.code, res.output).not.toBe(0)
      expect(rcptReply(res)).toMatch(/^450 4\.\d\.\d .*Greylisted/)
    }
    expect(rcptReply(await inbound(CLIENT.greylisted, pass))).toMatch(/^450 /)

    await new Promise(r => setTimeout(r, (GREYLIST_DELAY_S + 1.5) * 1000))
    const [retry, retryUnaligned] = await Promise.all([inbound(CLIENT.greylisted, pass), inbound(CLIENT.dmarcFail, unaligned)])
    expect(retry.code, `${retry.output}\n${logs()}`).toBe(0)
    expect(retryUnaligned.code, retryUnaligned.output).toBe(0)

    const message = await inbox(pass.subject)
    expect(message, logs()).toBeDefined()
    const hostname = stack.ctx.hostname.replaceAll('.', '\\.')
    expect(message).toMatch(new RegExp(`^Authentication-Results: ${hostname};\\s+spf=pass [^\\n]*smtp\\.mailfrom=spf\\.e2e\\.test`, 'm'))
    expect(message).toMatch(new RegExp(`^Authentication-Results: ${hostname};\\s+dmarc=pass \\(p=reject dis=none\\) header\\.from=spf\\.e2e\\.test`, 'm'))
    expect(message).toMatch(/^X-Greylist: delayed \d+ seconds by postgrey/m)

    const observed = await inbox(unaligned.subject)
    expect(observed, logs()).toBeDefined()
    expect(observed).toMatch(new RegExp(`^Authentication-Results: ${hostname};\\s+dmarc=fail \\(p=reject dis=none\\) header\\.from=strict\\.e2e\\.test`, 'm'))
  }, 60_000)

  it('refuses a client the sender domain\'s SPF record excludes; the same host still submits when authenticated', async () => {
    const spoofed = await inbound(CLIENT.spfFail, { from: 'eve@spf.e2e.test', to: ALICE.user, subject: unique('spoofed') })
    expect(rcptReply(spoofed)).toMatch(/^550 5\.7\.\d+ .*SPF/)
    const subject = unique('spf-host-submits')
    const sent = await submitted(CLIENT.spfFail, subject)
    expect(sent.code, `${sent.output}\n${logs()}`).toBe(0)
    expect(await inbox(subject), logs()).toBeDefined()
  }, 60_000)

  it('refuses a client listed in a DNSBL zone with 554; authenticated submission from that address still passes', async () => {
    const listed = await inbound(CLIENT.listed, { from: 'bob@spf.e2e.test', to: ALICE.user, subject: unique('listed') })
    expect(rcptReply(listed)).toMatch(new RegExp(`^554 5\\.7\\.1 .*blocked using ${DNSBL.replaceAll('.', '\\.')}`))
    expect(dns.queries).toContain(`A ${reversed(network.clientAddress(CLIENT.listed))}.${DNSBL}`)
    const subject = unique('listed-host-submits')
    const sent = await submitted(CLIENT.listed, subject)
    expect(sent.code, `${sent.output}\n${logs()}`).toBe(0)
    expect(await inbox(subject), logs()).toBeDefined()
  }, 60_000)

  it('whitelisted clients (ip, cidr) and recipients are accepted at once, after a reconcile while the daemons run', async () => {
    const net = network.clientAddress(CLIENT.inWhitelistedNet).replace(/\.\d+$/, '.64/26')
    await reconciled(async () => {
      for (const entry of [{ kind: 'ip', value: network.clientAddress(CLIENT.whitelistedIp) }, { kind: 'cidr', value: net }, { kind: 'email', value: POSTMASTER }]) {
        const res = await stack.api('/api/v1/antispam/whitelist', { body: { ...entry, comment: 'antispam-flow test' } })
        expect(res.status, JSON.stringify(res.body)).toBe(201)
      }
    })
    const cases: [number, string][] = [[CLIENT.whitelistedIp, ALICE.user], [CLIENT.inWhitelistedNet, ALICE.user], [CLIENT.whitelistedRecipient, POSTMASTER]]
    for (const [client, to] of cases) {
      const subject = unique(`whitelisted-${client}`)
      const res = await inbound(client, { from: 'partner@elsewhere.e2e.test', to, subject })
      expect(res.code, `${client}: ${res.output}\n${logs()}`).toBe(0)
      expect(await inbox(subject), logs()).toBeDefined()
    }
    // The whitelisted recipient's host is still greylisted for everyone else.
    expect(rcptReply(await inbound(CLIENT.whitelistedRecipient, { from: 'partner@elsewhere.e2e.test', to: ALICE.user, subject: unique('not-whitelisted') }))).toMatch(/^450 /)
  }, 60_000)
})
