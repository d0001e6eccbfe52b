import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest'
import { api, createDomain, createMailbox } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { encodeRequest, PolicyClient, policyRequest } from '../support/policy-client'
import type { PolicydStatus } from '#shared/types/policyd'
import type { Serialized } from '#shared/types/wire'

// The shared test server runs its policy daemon on a free port (POLICYD_LISTEN=127.0.0.1:0); the
// status endpoint says which. Every test uses its own domain and mailbox, and only mailbox/domain
// overrides, never the server tier, since other test files run against the same server.

const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
const today = () => new Date().toISOString().slice(0, 10)
const MISSING_ID = 2_147_483_647
const OK = 'DUNNO'

type Status = Serialized<PolicydStatus>

let port = 0
let client: PolicyClient

beforeAll(async () => {
  const res = await api<Status>('/api/v1/policyd/status')
  expect(res.status).toBe(200)
  expect(res.body.listening).toBe(true)
  port = res.body.port!
  client = await PolicyClient.open(port)
})

afterAll(async () => {
  await client?.close()
  await sql.end()
})

/** A new mailbox with the given overrides; returns its id and SASL login. */
async function sender(config: Record<string, unknown> = {}, domainConfig: Record<string, unknown> = {}) {
  const domain = await createDomain()
  if (Object.keys(domainConfig).length) expect((await api(`/api/v1/domains/${domain.id}/config`, { method: 'PUT', body: domainConfig })).status).toBe(200)
  const id = await createMailbox(domain.id, 'sender')
  if (Object.keys(config).length) expect((await api(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: config })).status).toBe(200)
  return { id, login: `sender@${domain.name}`, domainId: domain.id }
}

const rcpt = (login: string, extra: Record<string, string> = {}) => policyRequest({ sasl_username: login, ...extra })
const eom = (login: string, extra: Record<string, string> = {}) =>
  policyRequest({ sasl_username: login, protocol_state: 'END-OF-MESSAGE', recipient_count: '1', size: '2048', ...extra })

/** One message as Postfix checks it: RCPT, then (if accepted) END-OF-MESSAGE. Returns the refusal or OK. */
async function send(c: PolicyClient, login: string): Promise<string> {
  const atRcpt = await c.ask(rcpt(login))
  if (atRcpt !== OK) return atRcpt
  return c.ask(eom(login))
}

const counterOf = async (id: number) =>
  (await sql<{ count: number }[]>`SELECT count FROM policyd_counters WHERE mailbox_id = ${id} AND day = ${today()}::date`)[0]?.count ?? 0

describe('policy decisions over TCP', () => {
  it('lets unauthenticated traffic, unknown logins and other request types through with DUNNO', async () => {
    expect(await client.ask(policyRequest({ sasl_username: '', encryption_protocol: '' }))).toBe(OK)
    expect(await client.ask(policyRequest({ sasl_username: undefined }))).toBe(OK)
    expect(await client.ask(rcpt('nobody@unknown-domain.example'))).toBe(OK)
    expect(await client.ask(rcpt('no-at-sign'))).toBe(OK)
    expect(await client.ask({ request: 'something_else', sasl_username: 'x@y.example' })).toBe(OK)
  })

  it('counts a message once, at END-OF-MESSAGE, and refuses the 4th of a daily limit of 3 at RCPT time with a 4xx', async () => {
    const { id, login } = await sender({ daily_send_limit: 3 })
    for (let i = 1; i <= 3; i++) {
      // Several recipients: one RCPT request each, none of them counted.
      for (let r = 0; r < 3; r++) expect(await client.ask(rcpt(login, { recipient: `r${r}@elsewhere.example` }))).toBe(OK)
      expect(await client.ask(eom(login, { recipient_count: '3' }))).toBe(OK)
      expect(await counterOf(id)).toBe(i)
    }
    const refused = await client.ask(rcpt(login))
    expect(refused).toMatch(/^450 4\.7\.1 Daily sending limit reached: this mailbox may send 3 messages per day; the count resets at 00:00 UTC \(in \d+ (h \d+ )?min\)$/)
    // A client that ignores the RCPT refusal and gets to END-OF-DATA anyway is refused there too, and not counted.
    expect(await client.ask(eom(login))).toMatch(/^450 4\.7\.1 /)
    expect(await counterOf(id)).toBe(3)
  })

  it('refuses a mailbox with sending disabled (own setting or inherited from its domain) with a 5xx', async () => {
    const own = await sender({ smtp_enabled: false })
    expect(await client.ask(rcpt(own.login))).toBe('550 5.7.1 Sending mail is disabled for this mailbox; ask your administrator')
    expect(await client.ask(eom(own.login))).toMatch(/^550 5\.7\.1 /)
    const inherited = await sender({}, { smtp_enabled: false })
    expect(await client.ask(rcpt(inherited.login))).toMatch(/^550 5\.7\.1 Sending mail is disabled/)
    // The mailbox tier wins over the domain tier.
    const overridden = await sender({ smtp_enabled: true }, { smtp_enabled: false })
    expect(await client.ask(rcpt(overridden.login))).toBe(OK)
    expect(await counterOf(own.id)).toBe(0)
  })

  it('refuses a disabled mailbox or a mailbox of a disabled domain', async () => {
    const mailbox = await sender()
    expect((await api(`/api/v1/mailboxes/${mailbox.id}`, { method: 'PUT', body: { active: false } })).status).toBe(200)
    expect(await client.ask(rcpt(mailbox.login))).toBe('550 5.7.1 This mailbox is disabled; it cannot send mail')
    const other = await sender()
    expect((await api(`/api/v1/domains/${other.domainId}`, { method: 'PUT', body: { active: false } })).status).toBe(200)
    expect(await client.ask(rcpt(other.login))).toMatch(/^550 5\.7\.1 This mailbox is disabled/)
  })

  it('refuses a plain-text session of a require-TLS mailbox, and allows it once TLS is not required', async () => {
    const { id, login } = await sender({ require_tls: true })
    const plain = { encryption_protocol: '', encryption_cipher: '', encryption_keysize: '0' }
    expect(await client.ask(rcpt(login, plain))).toBe('530 5.7.0 Must issue a STARTTLS command first: this mailbox may only send over an encrypted connection')
    expect(await client.ask(eom(login, plain))).toMatch(/^530 5\.7\.0 /)
    expect(await client.ask(rcpt(login))).toBe(OK)
    await api(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: { require_tls: false } })
    expect(await client.ask(rcpt(login, plain))).toBe(OK)
  })

  it('enforces the message size at RCPT (declared SIZE=) and at END-OF-MESSAGE (actual size), limit inclusive', async () => {
    const { id, login } = await sender({ max_message_size: 10_000 })
    expect(await client.ask(rcpt(login, { size: '10000' }))).toBe(OK)
    expect(await client.ask(rcpt(login, { size: '10001' }))).toBe('552 5.3.4 Message too big: 10001 bytes, this mailbox may send at most 10000 bytes per message')
    expect(await client.ask(eom(login, { size: '10001' }))).toMatch(/^552 5\.3\.4 /)
    expect(await counterOf(id)).toBe(0)
    expect(await client.ask(eom(login, { size: '10000' }))).toBe(OK)
    expect(await counterOf(id)).toBe(1)
  })

  it('enforces recipients per message at END-OF-MESSAGE, limit inclusive', async () => {
    const { id, login } = await sender({ max_recipients: 5 })
    expect(await client.ask(eom(login, { recipient_count: '6' }))).toBe('550 5.5.3 Too many recipients: 6, this mailbox may address at most 5 per message')
    expect(await counterOf(id)).toBe(0)
    expect(await client.ask(eom(login, { recipient_count: '5' }))).toBe(OK)
    expect(await counterOf(id)).toBe(1)
  })

  it('treats daily_send_limit 0 as unlimited but still counts', async () => {
    const { id, login } = await sender({ daily_send_limit: 0 })
    for (let i = 0; i < 5; i++) expect(await send(client, login)).toBe(OK)
    expect(await counterOf(id)).toBe(5)
  })

  it('matches the login case-insensitively, as Dovecot does', async () => {
    const { id, login } = await sender({ daily_send_limit: 1 })
    expect(await send(client, login.toUpperCase())).toBe(OK)
    expect(await send(client, login)).toMatch(/^450 4\.7\.1 /)
    expect(await counterOf(id)).toBe(1)
  })

  it('counts per UTC day: yesterday\'s count does not limit today', async () => {
    const { id, login } = await sender({ daily_send_limit: 2 })
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    await sql`INSERT INTO policyd_counters (mailbox_id, day, count, daily_limit) VALUES (${id}, ${yesterday}::date, 2, 2)`
    expect(await send(client, login)).toBe(OK)
    expect(await send(client, login)).toBe(OK)
    expect(await send(client, login)).toMatch(/^450 4\.7\.1 /)
  })

  it('answers many requests on one connection, and pipelined requests in one write, in order', async () => {
    const allowed = await sender({ daily_send_limit: 0 })
    const blocked = await sender({ smtp_enabled: false })
    const requests = Array.from({ length: 100 }, (_, i) => (i % 2 ? rcpt(blocked.login) : rcpt(allowed.login)))
    const replies = await client.askRaw(requests.map(encodeRequest).join(''), requests.length)
    replies.forEach((reply, i) => expect(reply).toMatch(i % 2 ? /^550 / : /^DUNNO$/))
    // One byte at a time is one request too.
    const text = encodeRequest(rcpt(blocked.login))
    const reply = client.askRaw('', 1)
    for (const ch of text) client.socket.write(ch)
    expect((await reply)[0]).toMatch(/^550 /)
  })
})

describe('cache invalidation in this process', () => {
  it('applies a mailbox config change, a domain config change and a new mailbox to the very next request', async () => {
    const { id, login, domainId } = await sender()
    expect(await client.ask(rcpt(login))).toBe(OK)
    await api(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: { smtp_enabled: false } })
    expect(await client.ask(rcpt(login))).toMatch(/^550 5\.7\.1 /)
    await api(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body: { smtp_enabled: null } })
    expect(await client.ask(rcpt(login))).toBe(OK)
    await api(`/api/v1/domains/${domainId}/config`, { method: 'PUT', body: { max_message_size: 5000 } })
    expect(await client.ask(rcpt(login, { size: '6000' }))).toMatch(/^552 /)
    // An unknown login is cached as unknown; creating the mailbox makes it known at once.
    const newLogin = `late@${(await api<{ name: string }>(`/api/v1/domains/${domainId}`)).body.name}`
    expect(await client.ask(rcpt(newLogin, { size: '6000' }))).toBe(OK)
    await createMailbox(domainId, 'late')
    expect(await client.ask(rcpt(newLogin, { size: '6000' }))).toMatch(/^552 /)
  })

  it('forgets a deleted mailbox at once, and its counters go with it', async () => {
    const { id, login } = await sender({ smtp_enabled: false })
    await client.ask(eom(login))
    await sql`INSERT INTO policyd_counters (mailbox_id, day, count) VALUES (${id}, ${today()}::date, 1)`
    expect(await client.ask(rcpt(login))).toMatch(/^550 /)
    expect((await api(`/api/v1/mailboxes/${id}`, { method: 'DELETE' })).status).toBe(200)
    expect(await client.ask(rcpt(login))).toBe(OK)
    expect((await sql`SELECT 1 FROM policyd_counters WHERE mailbox_id = ${id}`).length).toBe(0)
  })
})

describe('concurrency', () => {
  it('grants exactly the limit to 200 concurrent END-OF-MESSAGE requests over 20 connections, and the counter is exact', async () => {
    const { id, login } = await sender({ daily_send_limit: 57 })
    const clients = await Promise.all(Array.from({ length: 20 }, () => PolicyClient.open(port)))
    try {
      const replies = (await Promise.all(clients.map(c => Promise.all(Array.from({ length: 10 }, () => c.ask(eom(login))))))).flat()
      expect(replies.filter(r => r === OK).length).toBe(57)
      expect(replies.filter(r => /^450 4\.7\.1 /.test(r)).length).toBe(143)
      expect(await counterOf(id)).toBe(57)
    }
    finally {
      await Promise.all(clients.map(c => c.close()))
    }
  })
})

describe('GET /api/v1/policyd/status and POST /api/v1/policyd/reset/:id', () => {
  it('reports the listener, connections, requests, decisions and today\'s usage', async () => {
    const { id, login } = await sender({ daily_send_limit: 2 })
    for (let i = 0; i < 3; i++) await send(client, login)
    const res = await api<Status>('/api/v1/policyd/status')
    expect(res.status).toBe(200)
    const s = res.body
    expect(s).toMatchObject({ listening: true, port, fail_mode: expect.stringMatching(/^(defer|dunno)$/) })
    expect(s.connections.current).toBeGreaterThanOrEqual(1)
    expect(s.connections.total).toBeGreaterThanOrEqual(s.connections.current)
    expect(s.requests.total).toBe(s.decisions.dunno + s.decisions.reject + s.decisions.defer)
    expect(s.decisions.defer).toBeGreaterThanOrEqual(1)
    expect(s.reasons.daily_limit).toBeGreaterThanOrEqual(1)
    expect(s.usage.day).toBe(today())
    expect(s.usage.top).toContainEqual({ mailbox_id: id, address: login, sent: 2, daily_send_limit: 2 })
  })

  it('clears a mailbox\'s daily count, so it can send again at once', async () => {
    const { id, login } = await sender({ daily_send_limit: 1 })
    expect(await send(client, login)).toBe(OK)
    expect(await send(client, login)).toMatch(/^450 /)
    const res = await api(`/api/v1/policyd/reset/${id}`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: expect.any(String), cleared: 1 })
    expect(await counterOf(id)).toBe(0)
    expect(await send(client, login)).toBe(OK)
  })

  it('answers 404, 400 and 401 with the error envelope', async () => {
    expectError(await api(`/api/v1/policyd/reset/${MISSING_ID}`, { method: 'POST' }), 404, 'MAILBOX_NOT_FOUND')
    expectValidation(await api('/api/v1/policyd/reset/abc', { method: 'POST' }), 'id')
    expectValidation(await api('/api/v1/policyd/reset/0', { method: 'POST' }), 'id')
    expectError(await api('/api/v1/policyd/status', { auth: false }), 401, 'UNAUTHORIZED')
    expectError(await api('/api/v1/policyd/reset/1', { method: 'POST', auth: false }), 401, 'UNAUTHORIZED')
    expectValidation(await api('/api/v1/policyd/status?verbose=1'))
  })
})

describe('GET/PUT /api/v1/policyd/settings', () => {
  it('reads the fail mode and refuses anything but defer or dunno', async () => {
    const res = await api<{ policyd_fail_mode: string }>('/api/v1/policyd/settings')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ policyd_fail_mode: expect.stringMatching(/^(defer|dunno)$/) })
    for (const body of [{ policyd_fail_mode: 'accept' }, { policyd_fail_mode: null }, {}, { policyd_fail_mode: 'defer', other: 1 }]) {
      expectValidation(await api('/api/v1/policyd/settings', { method: 'PUT', body }))
    }
    expectError(await api('/api/v1/policyd/settings', { method: 'PUT', raw: 'policyd_fail_mode=dunno', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    // Setting the current value again is a valid write that changes nothing for the other test files.
    expect((await api('/api/v1/policyd/settings', { method: 'PUT', body: res.body })).status).toBe(200)
  })
})
