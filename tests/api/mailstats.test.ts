import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type RequestOptions } from '../support/client'
import { expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'
import type { MailStatsResponse } from '#shared/types/mailstats-api'

// The stats collector on a log file the test writes as Postfix would (RFC 3339 stamps of "now", so
// they fall in the last hour): counts appear in GET /stats/mail, a restart does not count a line
// twice, rotation and truncation are followed.
const INTERVAL_S = '0.2'
let server: TestServer
let db: Awaited<ReturnType<typeof createTestDatabase>>
let root: string
let log: string

const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) => api<T>(path, { ...opts, baseUrl: server.url })
const stats = (range = '') => call<MailStatsResponse>(`/api/v1/stats/mail${range}`)

const start = async () => {
  server = await startServer({ root, databaseUrl: db.url, env: { MAILSTATS_INTERVAL_S: INTERVAL_S } })
}

beforeAll(async () => {
  db = await createTestDatabase()
  root = await makeRoot()
  log = join(root, 'var/log/mail.log')
  mkdirSync(join(root, 'var/log'), { recursive: true })
  await start()
})
afterAll(async () => {
  await server?.stop()
  await db?.drop()
  if (root) removeRoot(root)
})

let seq = 0
const stamp = () => new Date().toISOString().replace('Z', '+00:00')
/** One message: inbound (received + delivered) or an authenticated submission (received + sent + delivered). */
function message(kind: 'inbound' | 'sent', login = 'alice@stats.example'): string {
  const qid = `4F${(++seq).toString(16).toUpperCase().padStart(8, '0')}`
  const service = kind === 'sent' ? 'postfix/submission/smtpd' : 'postfix/smtpd'
  const client = kind === 'sent' ? `${qid}: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=${login}` : `${qid}: client=mx.remote.example[198.51.100.4]`
  return [
    `${stamp()} mail ${service}[101]: ${client}`,
    `${stamp()} mail postfix/qmgr[102]: ${qid}: from=<x@remote.example>, size=900, nrcpt=1 (queue active)`,
    `${stamp()} mail postfix/lmtp[103]: ${qid}: to=<bob@stats.example>, relay=mail[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)`,
    `${stamp()} mail postfix/qmgr[102]: ${qid}: removed`,
  ].join('\n') + '\n'
}
const rejectLine = () => `${stamp()} mail postfix/smtpd[101]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; from=<a@b.example> to=<bob@stats.example> proto=ESMTP helo=<x>\n`

/** Polls until the last hour shows `want` (the collector runs every INTERVAL_S). */
async function waitFor(want: Partial<MailStatsResponse['last_hour']>): Promise<MailStatsResponse> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await stats()
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    if (Object.entries(want).every(([k, v]) => res.body.last_hour[k as keyof typeof want] === v)) return res.body
    if (Date.now() > deadline) throw new Error(`stats never reached ${JSON.stringify(want)}: ${JSON.stringify(res.body.last_hour)}\n${server.output()}`)
    await new Promise(r => setTimeout(r, 100))
  }
}
/** Two collector intervals and more: long enough for a pass that would count something twice. */
const settle = () => new Promise(r => setTimeout(r, 3 * Number(INTERVAL_S) * 1000 + 300))

describe('the mail stats collector', () => {
  it('counts what Postfix logs: received, sent (authenticated), delivered, rejected by class, top senders', async () => {
    writeFileSync(log, message('inbound') + message('sent') + message('sent', 'carol@other.example') + rejectLine() + 'garbage that is not a postfix line\n')
    const body = await waitFor({ received: 3, sent: 2, delivered: 3, rejected: 1 })
    expect(body.last_hour.rejects).toEqual({ rbl: 1, greylist: 0, policy: 0, unknown_user: 0, other: 0 })
    expect(body.last_24h).toEqual(body.last_hour)
    expect(body.top_senders.mailboxes).toEqual([{ name: 'alice@stats.example', sent: 1 }, { name: 'carol@other.example', sent: 1 }])
    expect(body.top_senders.domains.map(d => d.name).sort()).toEqual(['other.example', 'stats.example'])
    expect(body.collector).toMatchObject({ path: log, lines: 14, error: null, last_read_at: expect.any(String) })
    expect(body.range).toBe('24h')
    expect(body.series.reduce((n, p) => n + p.received, 0)).toBe(3)
  })

  it('a half-written last line waits for its newline; nothing is counted twice across a restart', async () => {
    const whole = message('inbound')
    const cut = whole.lastIndexOf('status=sent')
    appendFileSync(log, whole.slice(0, cut))
    await waitFor({ received: 4, delivered: 3 })
    appendFileSync(log, whole.slice(cut))
    await waitFor({ received: 4, delivered: 4 })
    await server.stop()
    await start()
    await settle()
    expect((await stats()).body.last_hour).toMatchObject({ received: 4, delivered: 4 })
  })

  it('follows rotation (the rest of mail.log.1 first, then the new file) and truncation', async () => {
    appendFileSync(log, message('inbound'))
    await waitFor({ received: 5 })
    // What logrotate does: rename; the daemon writes a last line into the old file, then a new file appears.
    renameSync(log, `${log}.1`)
    appendFileSync(`${log}.1`, message('inbound'))
    writeFileSync(log, message('sent'))
    await waitFor({ received: 7, sent: 3 })
    // copytruncate: same file, shorter than where the collector stopped.
    writeFileSync(log, message('inbound'))
    await waitFor({ received: 8 })
    await settle()
    expect((await stats()).body.last_hour.received).toBe(8)
  })

  it('?range= gives a series of that width; a bad range is a 400 naming it', async () => {
    const hour = (await stats('?range=1h')).body
    expect(hour).toMatchObject({ range: '1h', bucket_minutes: 1 })
    expect(hour.series.length).toBeGreaterThanOrEqual(60)
    expect(hour.series.length).toBeLessThanOrEqual(62)
    expect(hour.series.reduce((n, p) => n + p.received, 0)).toBe(8)
    const month = (await stats('?range=30d')).body
    expect(month.bucket_minutes).toBe(360)
    for (const bad of ['?range=2h', '?range=', '?range=1h&range=24h', '?extra=1']) expectValidation(await stats(bad), bad.includes('extra') ? 'extra' : 'range')
  })
})
