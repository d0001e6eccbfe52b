import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { appendJournal, type JournalEntryInput } from '../support/journal'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'
import type { LogsResponse } from '#shared/types/logs'
import type { MailStatsResponse } from '#shared/types/mailstats-api'

// MAILLOG_SOURCE=journald: the stats collector reads Postfix's entries (SYSLOG_FACILITY=2) from a real
// journal — files systemd-journal-remote writes, read by the real journalctl through MAILLOG_JOURNAL_DIR —
// from its saved cursor: counts appear in GET /stats/mail, other facilities are not counted, a restart
// does not count an entry twice, and a backlog larger than one batch is counted exactly once.
const INTERVAL_S = '0.2'
// More than one collector batch (JOURNAL_BATCH_ENTRIES = 50,000): 4 entries per message.
const BACKLOG_MESSAGES = 13_000
let server: TestServer
let db: Awaited<ReturnType<typeof createTestDatabase>>
let root: string
let journalDir: string

const stats = () => api<MailStatsResponse>('/api/v1/stats/mail', { baseUrl: server.url })
const start = async () => {
  server = await startServer({
    root, databaseUrl: db.url,
    env: { MAILSTATS_INTERVAL_S: INTERVAL_S, MAILLOG_SOURCE: 'journald', MAILLOG_JOURNAL_DIR: journalDir },
  })
}

beforeAll(async () => {
  db = await createTestDatabase()
  root = await makeRoot()
  journalDir = mkdtempSync(join(tmpdir(), 'mailstats-journal-'))
  await start()
})
afterAll(async () => {
  await server?.stop()
  await db?.drop()
  if (root) removeRoot(root)
  if (journalDir) rmSync(journalDir, { recursive: true, force: true })
})

let seq = 0
/** One message as Postfix logs it: inbound (received + delivered) or an authenticated submission (+ sent). */
function message(kind: 'inbound' | 'sent', login = 'alice@journal.example'): JournalEntryInput[] {
  const qid = `5A${(++seq).toString(16).toUpperCase().padStart(8, '0')}`
  return [
    kind === 'sent'
      ? { identifier: 'postfix/submission/smtpd', message: `${qid}: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=${login}` }
      : { identifier: 'postfix/smtpd', message: `${qid}: client=mx.remote.example[198.51.100.4]` },
    { identifier: 'postfix/qmgr', pid: 102, message: `${qid}: from=<x@remote.example>, size=900, nrcpt=1 (queue active)` },
    { identifier: 'postfix/lmtp', pid: 103, message: `${qid}: to=<bob@journal.example>, relay=mail[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)` },
    { identifier: 'postfix/qmgr', pid: 102, message: `${qid}: removed` },
  ]
}

async function waitFor(want: Partial<MailStatsResponse['last_hour']>, timeoutMs = 15_000): Promise<MailStatsResponse> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await stats().catch((err: Error) => {
      throw new Error(`GET /stats/mail failed (${err.message}); the server said:\n${server.output().slice(-4000)}`)
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    if (Object.entries(want).every(([k, v]) => res.body.last_hour[k as keyof typeof want] === v)) return res.body
    if (Date.now() > deadline) throw new Error(`stats never reached ${JSON.stringify(want)}: ${JSON.stringify(res.body.last_hour)} ${JSON.stringify(res.body.collector)}\n${server.output()}`)
    await new Promise(r => setTimeout(r, 100))
  }
}
const settle = () => new Promise(r => setTimeout(r, 3 * Number(INTERVAL_S) * 1000 + 500))

describe('the mail stats collector on the journal (MAILLOG_SOURCE=journald)', () => {
  it('counts Postfix\'s mail-facility entries; another facility and a message with a line break are read as the file would be', async () => {
    await appendJournal(journalDir, [
      ...message('inbound'),
      ...message('sent'),
      // The same words from the auth facility are not Postfix's mail log.
      { facility: 4, identifier: 'postfix/smtpd', message: 'FFFF1: client=mx.other.example[198.51.100.9]' },
      // One entry is one line: the break inside the message does not make a second (counted) line.
      { identifier: 'postfix/smtpd', message: 'NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org;\nfrom=<a@b.example> to=<bob@journal.example> proto=ESMTP helo=<x>' },
    ])
    const body = await waitFor({ received: 2, sent: 1, delivered: 2, rejected: 1 })
    expect(body.last_hour.rejects.rbl).toBe(1)
    expect(body.top_senders.mailboxes).toEqual([{ name: 'alice@journal.example', sent: 1 }])
    expect(body.collector).toMatchObject({ source: 'journald', path: `the journal in ${journalDir} (mail facility)`, lines: 9, error: null })
  })

  it('goes on from its cursor: across a restart nothing is counted twice, new entries are', async () => {
    await settle()
    await server.stop()
    await appendJournal(journalDir, message('sent', 'carol@journal.example'))
    await start()
    const body = await waitFor({ received: 3, sent: 2, delivered: 3 })
    await settle()
    expect((await stats()).body.last_hour).toEqual(body.last_hour)
    expect(body.collector.lines).toBe(13)
  })

  it(`a backlog of ${BACKLOG_MESSAGES * 4} entries (more than one batch) is counted exactly once`, async () => {
    const entries = Array.from({ length: BACKLOG_MESSAGES }, (_, i) => message(i % 2 ? 'sent' : 'inbound', `u${i % 50}@journal.example`)).flat()
    await appendJournal(journalDir, entries)
    const body = await waitFor({ received: 3 + BACKLOG_MESSAGES, delivered: 3 + BACKLOG_MESSAGES }, 60_000)
    expect(body.last_hour.sent).toBe(2 + BACKLOG_MESSAGES / 2)
    await settle()
    expect((await stats()).body.last_hour).toEqual(body.last_hour)
    expect((await stats()).body.collector.lines).toBe(13 + BACKLOG_MESSAGES * 4)
  }, 120_000)

  it('GET /logs reads the same journal (no maillog_file is rendered): Postfix\'s unit, newest last, levels from the priority', async () => {
    await appendJournal(journalDir, [
      { identifier: 'postfix/smtpd', message: 'warning: hostname example.invalid does not resolve', priority: 4 },
      { identifier: 'dovecot', unit: 'dovecot.service', message: 'imap-login: Login: user=<bob@journal.example>' },
      { identifier: 'postfix/qmgr', pid: 102, message: 'journal-logs-marker: removed' },
    ])
    const postfix = await api<LogsResponse>('/api/v1/logs?service=postfix&lines=50', { baseUrl: server.url })
    expect(postfix.status, JSON.stringify(postfix.body)).toBe(200)
    expect(postfix.body).toMatchObject({ source: 'journald', file: null })
    expect(postfix.body.data.at(-1)).toMatchObject({ level: 'info', text: 'postfix/qmgr[102]: journal-logs-marker: removed' })
    expect(postfix.body.data.at(-2)).toMatchObject({ level: 'warning', text: 'postfix/smtpd[101]: warning: hostname example.invalid does not resolve' })
    const dovecot = await api<LogsResponse>('/api/v1/logs?service=dovecot&lines=50&q=imap-login', { baseUrl: server.url })
    expect(dovecot.body.data.map(l => l.text)).toEqual(['dovecot[101]: imap-login: Login: user=<bob@journal.example>'])
  })

  it('an unreadable journal directory is the collector\'s error in the response, not a failed request', async () => {
    await server.stop()
    rmSync(journalDir, { recursive: true, force: true })
    await start()
    const deadline = Date.now() + 10_000
    let body = (await stats()).body
    while (!body.collector.error && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100))
      body = (await stats()).body
    }
    expect(body.collector.error).toMatch(/journalctl exited with 1/)
    expect(body.last_hour.received).toBe(3 + BACKLOG_MESSAGES)
  })
})
