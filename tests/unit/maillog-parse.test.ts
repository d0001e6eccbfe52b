import { describe, expect, it } from 'vitest'
import { MaillogCollector } from '#server/services/maillog/maillog'
import { parseLine } from '#server/services/maillog/parse'
import { MAX_LINE_BYTES } from '#server/services/maillog/reader'

const NOW = new Date('2026-12-02T12:00:00Z')
const OPTIONS = { utcOffsetMinutes: 0, now: NOW }
const parse = (line: string) => parseLine(line, OPTIONS)
const iso = (d: Date | null | undefined) => d?.toISOString()

function collect(text: string, chunkBytes?: number) {
  const collector = new MaillogCollector(OPTIONS)
  const bytes = Buffer.from(text, 'utf8')
  const size = chunkBytes ?? bytes.length
  for (let i = 0; i < bytes.length; i += size) collector.push(bytes.subarray(i, i + size))
  collector.end()
  return collector.stats()
}

// One message of each kind, in the shapes ../shared/mailstack/gen-maillog.py and a real Postfix 3.7 write.
const LOG = [
  'Nov 25 04:02:01 mail postfix/submission/smtpd[1001]: connect from unknown[203.0.113.5]',
  'Nov 25 04:02:01 mail postfix/submission/smtpd[1001]: 4A1B2C3D4E5: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=Alice@Example.test',
  'Nov 25 04:02:01 mail postfix/cleanup[1002]: 4A1B2C3D4E5: message-id=<x@example.test>',
  'Nov 25 04:02:01 mail postfix/qmgr[900]: 4A1B2C3D4E5: from=<alice@example.test>, size=1200, nrcpt=1 (queue active)',
  'Nov 25 04:02:02 mail postfix/smtp[1003]: 4A1B2C3D4E5: to=<r@remote.example.org>, relay=mx.remote.example.org[198.51.100.1]:25, delay=0.4, delays=0.01/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK)',
  'Nov 25 04:02:02 mail postfix/qmgr[900]: 4A1B2C3D4E5: removed',
  'Nov 25 04:03:00 mail postfix/smtpd[1004]: 5B2C3D4E5F6: client=mail.remote.example.org[203.0.113.9]',
  'Nov 25 04:03:00 mail postfix/lmtp[1005]: 5B2C3D4E5F6: to=<bob@example.test>, relay=mail.example.test[private/dovecot-lmtp], delay=0.05, delays=0.03/0/0/0.02, dsn=2.0.0, status=sent (250 2.0.0 <bob@example.test> Saved)',
  'Nov 25 04:03:10 mail postfix/smtp[1006]: 6C3D4E5F607: to=<r@slow.example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example.org[198.51.100.7]:25: Connection timed out)',
  'Nov 25 04:13:10 mail postfix/smtp[1007]: 6C3D4E5F607: to=<r@slow.example.org>, relay=none, delay=630, delays=600/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example.org[198.51.100.7]:25: Connection timed out)',
  'Nov 25 04:13:11 mail postfix/smtp[1008]: 7D4E5F60718: to=<gone@remote.example.org>, relay=mx.remote.example.org[198.51.100.9]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=5.1.1, status=bounced (host said: 550 5.1.1 user unknown)',
  'Nov 25 04:13:12 mail postfix/smtpd[1009]: NOQUEUE: reject: RCPT from unknown[203.0.113.66]: 554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked using zen.spamhaus.org; from=<s@spam.example> to=<bob@example.test> proto=ESMTP helo=<spam.example>',
].join('\n') + '\n'

describe('parseLine: timestamps', () => {
  it('reads a classic syslog timestamp as a minute of this year, in the zone it is given', () => {
    const line = 'Nov 25 04:02:59 mail postfix/smtpd[1]: ABC123: client=x[192.0.2.1]'
    expect(iso(parse(line)?.minute)).toBe('2026-11-25T04:02:00.000Z')
    expect(iso(parseLine(line, { utcOffsetMinutes: 60, now: NOW })?.minute)).toBe('2026-11-25T03:02:00.000Z')
  })

  it('reads a one-digit day after two spaces, and puts a month after this one in last year (as pflogsumm)', () => {
    expect(iso(parse('Nov  5 23:59:00 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')?.minute)).toBe('2026-11-05T23:59:00.000Z')
    expect(iso(parseLine('Dec 31 23:59:00 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]', { utcOffsetMinutes: 0, now: new Date('2027-01-01T00:10:00Z') })?.minute))
      .toBe('2026-12-31T23:59:00.000Z')
  })

  it('reads RFC 3339 timestamps with a colon in the offset, with Z, and with or without fractions', () => {
    expect(iso(parse('2026-05-28T04:02:01.123+02:00 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')?.minute)).toBe('2026-05-28T02:02:00.000Z')
    expect(iso(parse('2026-05-28T04:02:01-05:30 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')?.minute)).toBe('2026-05-28T09:32:00.000Z')
    expect(iso(parse('2026-05-28T04:02:01.999999Z mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')?.minute)).toBe('2026-05-28T04:02:00.000Z')
    expect(parse('2026-05-28T04:02:01.123+02:00 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')?.event).toBe('inbound')
  })

  it('refuses timestamps pflogsumm refuses: no offset, an offset without its colon, a broken clock', () => {
    expect(parse('2026-05-28T04:02:01 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')).toBeNull()
    expect(parse('2026-05-28T04:02:01+0200 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')).toBeNull()
    expect(parse('Nov 25 4:02:01 mail postfix/smtpd[1]: ABC: client=x[192.0.2.1]')).toBeNull()
  })
})

describe('parseLine: events', () => {
  it('tells an authenticated submission (sent, with its login) from an inbound message and a local pickup', () => {
    expect(parse('Nov 25 04:02:01 mail postfix/submission/smtpd[1]: 4A1B: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=Alice@Example.test'))
      .toMatchObject({ event: 'sent', qid: '4A1B', login: 'alice@example.test' })
    expect(parse('Nov 25 04:02:01 mail postfix/smtps/smtpd[1]: 4A1C: client=unknown[203.0.113.5], sasl_method=LOGIN, sasl_username=bob@example.test, sasl_sender=x'))
      .toMatchObject({ event: 'sent', login: 'bob@example.test' })
    expect(parse('Nov 25 04:02:01 mail postfix/smtpd[1]: 4A1D: client=mail.remote.example.org[203.0.113.9]')?.event).toBe('inbound')
    expect(parse('Nov 25 04:02:01 mail postfix/pickup[1]: 4A1E: uid=33 from=<www-data>')?.event).toBe('local')
  })

  it('counts delivery attempts by status, and a forward is not a delivery', () => {
    const to = (status: string) => `Nov 25 04:02:02 mail postfix/smtp[1]: 4A1B: to=<r@x.example>, relay=mx.x.example[198.51.100.1]:25, delay=0.4, delays=0/0/0.2/0.1, dsn=2.0.0, status=${status}`
    expect(parse(to('sent (250 2.0.0 OK)'))?.event).toBe('delivered')
    expect(parse(to('sent (forwarded as 5C2D)'))?.event).toBe('forwarded')
    expect(parse(to('deferred (connect to x: Connection timed out)'))?.event).toBe('deferred')
    expect(parse(to('bounced (host said: 550 5.1.1 user unknown)'))?.event).toBe('bounced')
    expect(parse(to('expired, returned to sender'))?.event).toBe('none')
    expect(parse('Nov 25 04:02:02 mail postfix/local[1]: 4A1B: to=<bob@example.test>, orig_to=<root>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)')?.event).toBe('delivered')
    expect(parse('Nov 25 04:02:02 mail postfix/smtp[1]: 4A1B: to=<r@x.example>, relay=x[1.2.3.4]:25, conn_use=2, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)')?.event).toBe('delivered')
  })

  it('classes each reject by its reason: DNSBL, greylisting, policy, unknown user, anything else', () => {
    const rcpt = (reply: string) => `Nov 25 04:02:03 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.66]: ${reply}; from=<s@greylist.example> to=<bob@example.test> proto=ESMTP helo=<policy.example>`
    const cls = (line: string) => {
      const parsed = parse(line)
      expect(parsed?.event).toBe('rejected')
      return parsed?.rejectClass
    }
    expect(cls(rcpt('554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked using zen.spamhaus.org'))).toBe('rbl')
    expect(cls(rcpt('450 4.2.0 <bob@example.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.test.html'))).toBe('greylist')
    expect(cls(rcpt('450 4.7.1 <bob@example.test>: Recipient address rejected: limit'))).toBe('policy')
    expect(cls(rcpt('554 5.7.1 <bob@example.test>: Relay access denied'))).toBe('policy')
    expect(cls(rcpt('550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table'))).toBe('unknown_user')
    expect(cls('Nov 25 04:02:03 mail postfix/cleanup[1]: 4A1B: reject: header Subject: win big from x[1.2.3.4]; from=<a@b> to=<c@d>: 5.7.1 message content rejected')).toBe('other')
    expect(cls('Nov 25 04:02:03 mail postfix/postscreen[1]: NOQUEUE: reject: RCPT from [203.0.113.7]:4711: 550 5.7.1 Service unavailable; client [203.0.113.7] blocked using zen.spamhaus.org; from=<a@b>, to=<c@d>, proto=ESMTP, helo=<x>'))
      .toBe('rbl')
  })

  it('counts nothing for the lines pflogsumm counts nothing for', () => {
    for (const line of [
      'Nov 25 04:02:01 mail postfix/smtpd[1]: connect from unknown[203.0.113.5]',
      'Nov 25 04:02:01 mail postfix/qmgr[1]: 4A1B: from=<a@example.test>, size=1200, nrcpt=1 (queue active)',
      'Nov 25 04:02:01 mail postfix/qmgr[1]: 4A1B: removed',
      'Nov 25 04:02:01 mail postfix/smtpd[1]: warning: hostname x does not resolve to address 1.2.3.4',
      'Nov 25 04:02:01 mail postfix/cleanup[1]: 4A1B: warning: header Subject: hi from x[1.2.3.4]; from=<a@b> to=<c@d>',
      'Nov 25 04:02:01 mail postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from x[1.2.3.4]: 450 4.7.1 test; from=<a@b> to=<c@d>',
    ]) expect(parse(line)?.event).toBe('none')
  })

  it('ignores garbage and other programs\' lines without throwing', () => {
    for (const line of ['', 'garbage', 'Nov', 'Nov 25 04:02:01', 'Nov 25 04:02:01 mail', 'Nov 25 04:02:01 mail dovecot: imap(bob): Logged out',
      '2026-05-28T04:02:01.123+02:00 mail kernel: x', 'Nov 25 04:02:01 mail postfix/smtpd[1]', '\u0000\uFFFD\uD800 postfix/smtpd[1]: a: client=b']) {
      expect(parse(line)).toBeNull()
    }
    expect(parse('Nov 25 04:02:01 mail postfix/smtpd[1]: ::: ')).toBeNull()
  })

  it('accepts a custom syslog_name next to postfix', () => {
    const line = 'Nov 25 04:02:01 mail postfix-out/smtp[1]: 4A1B: to=<r@x>, relay=x[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)'
    expect(parse(line)).toBeNull()
    expect(parseLine(line, { ...OPTIONS, syslogName: 'postfix-out' })?.event).toBe('delivered')
  })
})

describe('MaillogCollector', () => {
  it('adds up each counter with pflogsumm\'s meaning: a message deferred twice is one deferred, two deferrals', () => {
    const { totals, lines, skipped } = collect(LOG)
    expect(lines).toBe(12)
    expect(skipped).toBe(0)
    expect(totals).toEqual({
      received: 2, sent: 1, inbound: 1, local: 0, delivered: 2, forwarded: 0, deferred: 1, deferrals: 2, bounced: 1, rejected: 1,
      rejects: { rbl: 1, greylist: 0, policy: 0, unknown_user: 0, other: 0 },
    })
  })

  it('counts sent mail per mailbox and per domain, and fills per-minute buckets', () => {
    const stats = collect(LOG)
    expect(stats.sent_by_mailbox).toEqual({ 'alice@example.test': 1 })
    expect(stats.sent_by_domain).toEqual({ 'example.test': 1 })
    expect(stats.minutes.map(m => m.start)).toEqual(['2026-11-25T04:02:00.000Z', '2026-11-25T04:03:00.000Z', '2026-11-25T04:13:00.000Z'])
    expect(stats.minutes[0]).toMatchObject({ received: 1, sent: 1, delivered: 1 })
    expect(stats.minutes[2]).toMatchObject({ deferred: 1, bounced: 1, rejected: 1 })
  })

  it('gives the same counts however the input is split into chunks, even inside a UTF-8 character', () => {
    const text = `${LOG}Nov 25 04:20:00 mail postfix/submission/smtpd[1]: 8E5F: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username=jürgen@exämple.test\n`
    const whole = collect(text)
    expect(whole.sent_by_mailbox['jürgen@exämple.test']).toBe(1)
    for (const size of [1, 2, 3, 7, 64, 333]) expect(collect(text, size)).toEqual(whole)
  })

  it('takes CRLF line ends and skips blank lines and garbage between log lines', () => {
    const stats = collect(`\n\u0007garbage\n${LOG.replaceAll('\n', '\r\n')}\n`)
    expect(stats.totals.received).toBe(2)
    expect(stats.totals.delivered).toBe(2)
    expect(stats.skipped).toBe(3)
  })

  it('holds back a last line without its newline until the input ends, and a truncated one counts nothing', () => {
    const complete = 'Nov 25 04:02:02 mail postfix/smtp[1]: 4A1B: to=<r@x>, relay=x[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)'
    const collector = new MaillogCollector(OPTIONS)
    collector.push(Buffer.from(`${LOG}${complete}`))
    expect(collector.stats().totals.delivered).toBe(2)
    expect(collector.consumedBytes).toBe(Buffer.byteLength(LOG))
    collector.end()
    expect(collector.stats().totals.delivered).toBe(3)
    expect(collector.consumedBytes).toBe(Buffer.byteLength(LOG) + complete.length)

    expect(collect(`${LOG}${complete.slice(0, complete.indexOf('status=sent') + 9)}`).totals.delivered).toBe(2)
    expect(collect(`${LOG}${complete.slice(0, 30)}`).lines).toBe(13)
  })

  it('drops a line longer than MAX_LINE_BYTES whole and goes on with the next', () => {
    const stats = collect(`${'x'.repeat(MAX_LINE_BYTES + 10)}\n${LOG}`, 4096)
    expect(stats.skipped).toBe(1)
    expect(stats.totals.received).toBe(2)
    expect(stats.lines).toBe(13)
  })
})
