import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHUNK_BYTES, maillog, MaillogCollector } from '#server/services/maillog/maillog'
import { parseLine } from '#server/services/maillog/parse'

// The byte-level reader and parser (lines as ranges of a chunk, the prefilter's per-chunk search):
// whatever the chunking, the counts are those of the whole input.

const OPTIONS = { utcOffsetMinutes: 0, now: new Date('2026-12-02T12:00:00Z') }

const LINES = [
  'Nov 25 04:02:01 mail postfix/submission/smtpd[1001]: connect from unknown[203.0.113.5]',
  'Nov 25 04:02:01 mail postfix/submission/smtpd[1001]: 4A1B2C3D4E5: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=Jürgen@Exämple.test',
  'Nov 25 04:02:01 mail postfix/qmgr[900]: 4A1B2C3D4E5: from=<alice@example.test>, size=1200, nrcpt=1 (queue active)',
  'Nov 25 04:02:02 mail postfix/smtp[1003]: 4A1B2C3D4E5: to=<r@remote.example.org>, relay=mx.remote.example.org[198.51.100.1]:25, delay=0.4, delays=0.01/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK)',
  'Nov 25 04:03:10 mail postfix/smtp[1006]: 6C3D4E5F607: to=<r@slow.example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to x: Connection timed out)',
  'Nov 25 04:13:12 mail postfix/smtpd[1009]: NOQUEUE: reject: RCPT from unknown[203.0.113.66]: 450 4.7.1 <b@example.test>: Recipient address rejected: greylisted; from=<s@spam.example> to=<b@example.test>',
  'Nov 25 04:13:13 mail postfix/cleanup[1010]: 7D4E5F60718: milter-reject: END-OF-MESSAGE from x[192.0.2.7]: 5.7.1 Spam; from=<s@spam.example>',
  '2026-11-25T04:14:00.5+01:00 mail postfix/submission/smtpd[1011]: 8E5F: client=x[192.0.2.1], sasl_method=LOGIN, sasl_username=ÅSA@ÖRNSKÖLDSVIK.test',
]
const LOG = `${LINES.join('\n')}\n`

function collect(bytes: Buffer, cuts: number[]) {
  const collector = new MaillogCollector(OPTIONS)
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    collector.push(bytes.subarray(from, cut))
    from = cut
  }
  collector.end()
  return collector.stats()
}

describe('maillog on bytes: chunks', () => {
  const bytes = Buffer.from(LOG, 'utf8')
  const whole = collect(bytes, [])

  it('counts the sample as one chunk: logins decoded from UTF-8 and lower-cased', () => {
    expect(whole.totals).toMatchObject({ received: 2, sent: 2, delivered: 1, deferred: 1, rejected: 2 })
    expect(whole.sent_by_mailbox).toEqual({ 'jürgen@exämple.test': 1, 'åsa@örnsköldsvik.test': 1 })
    expect(whole.totals.rejects).toMatchObject({ greylist: 1, other: 1 })
  })

  it('gives the same counts with the input cut in two at every byte offset', () => {
    for (let cut = 0; cut <= bytes.length; cut++) expect(collect(bytes, [cut])).toEqual(whole)
  })

  it('gives the same counts with every line split three ways (three cuts a few bytes apart, at every offset)', () => {
    for (let cut = 0; cut + 5 <= bytes.length; cut += 3) expect(collect(bytes, [cut, cut + 2, cut + 5])).toEqual(whole)
  })

  it('reads each chunk afresh when the stream reuses one Buffer for every chunk', () => {
    const collector = new MaillogCollector(OPTIONS)
    const reused = Buffer.alloc(97)
    for (let i = 0; i < bytes.length; i += reused.length) {
      const n = bytes.copy(reused, 0, i, i + reused.length)
      collector.push(n === reused.length ? reused : reused.subarray(0, n))
    }
    collector.end()
    expect(collector.stats()).toEqual(whole)
  })

  it('takes CRLF line ends like LF ones', () => {
    expect(collect(Buffer.from(LOG.replaceAll('\n', '\r\n')), [])).toEqual(whole)
  })
})

describe('maillog on bytes: lines that end early, and garbage', () => {
  it('never reads past a line: every prefix of a line, followed by a whole log, counts as the prefix alone', () => {
    for (const line of LINES) {
      for (let length = 0; length <= line.length; length++) {
        const prefix = line.slice(0, length)
        const alone = parseLine(prefix, OPTIONS)
        const stats = collect(Buffer.from(`${prefix}\n${LOG}`), [])
        const base = collect(Buffer.from(LOG), [])
        expect(stats.lines).toBe(base.lines + 1)
        expect(stats.skipped).toBe(base.skipped + (alone ? 0 : 1))
        const counted = alone && alone.event !== 'none' ? 1 : 0
        const total = (s: typeof stats) => s.totals.received + s.totals.delivered + s.totals.deferrals + s.totals.bounced + s.totals.rejected
        expect(total(stats)).toBe(total(base) + counted)
      }
    }
  })

  it('skips invalid UTF-8, NULs and binary between log lines and goes on', () => {
    const garbage = Buffer.from([0xFF, 0xFE, 0x00, 0x0A, 0xC3, 0x0A, 0xE2, 0x82, 0x0A, 0x4E, 0x6F, 0x76, 0x20, 0x0A])
    const stats = collect(Buffer.concat([garbage, Buffer.from(LOG), garbage]), [])
    const base = collect(Buffer.from(LOG), [])
    expect(stats.skipped).toBe(base.skipped + 8)
    expect(stats.totals).toEqual(base.totals)
  })

  it('keeps a login with invalid UTF-8 bytes as the decoder reads them (U+FFFD)', () => {
    const line = Buffer.concat([Buffer.from('Nov 25 04:02:01 mail postfix/smtpd[1]: AB: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username=a'), Buffer.from([0xFF]), Buffer.from('b@x.test\n')])
    expect(collect(line, []).sent_by_mailbox).toEqual({ 'a\uFFFDb@x.test': 1 })
  })
})

describe('maillog.collectFile', () => {
  it('reads a file of several chunks (two buffers taking turns) like one push, and from an offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillog-bytes-'))
    try {
      const path = join(dir, 'mail.log')
      const copies = Math.ceil((2.5 * CHUNK_BYTES) / LOG.length)
      const text = LOG.repeat(copies)
      writeFileSync(path, text)
      const whole = collect(Buffer.from(text), [])
      const read = await maillog.collectFile(path, OPTIONS)
      expect(read.stats()).toEqual(whole)
      expect(read.consumedBytes).toBe(Buffer.byteLength(text))
      const tail = await maillog.collectFile(path, { ...OPTIONS, offset: Buffer.byteLength(LOG) })
      expect(tail.stats().totals.delivered).toBe(whole.totals.delivered - 1)
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
