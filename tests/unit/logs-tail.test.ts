import { mkdtempSync, rmSync, writeFileSync, appendFileSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BackwardLines, BLOCK_BYTES, MAX_LINE_BYTES, tailFile } from '#server/services/logs/tail'
import { journalLine, lineLevel, lineTime, literalMatcher } from '#server/services/logs/parse'

const dir = mkdtempSync(join(tmpdir(), 'logs-tail-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const all = () => true

/** Every line of `text`, pushed backwards in blocks of `size` bytes. */
function backwards(text: string, size: number): string[] {
  const bytes = Buffer.from(text)
  const out: string[] = []
  const lines = new BackwardLines((line) => {
    out.push(line)
    return true
  })
  for (let end = bytes.length; end > 0; end -= size) lines.push(bytes.subarray(Math.max(0, end - size), end))
  lines.finish()
  return out.reverse()
}

describe('reading a log backwards', () => {
  it('splits lines the same whatever the block size, across multi-byte characters, with or without a last newline', () => {
    const text = 'first line\nzweite Zeile – äöü\r\n\nthird 日本語 line\nlast without newline'
    const expected = ['first line', 'zweite Zeile – äöü', 'third 日本語 line', 'last without newline']
    for (const size of [1, 2, 3, 5, 7, 64, 4096]) expect(backwards(text, size), `block ${size}`).toEqual(expected)
    expect(backwards(`${text}\n`, 3)).toEqual(expected)
  })

  it('skips a line longer than the cap whole and keeps its neighbours', () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 10)
    expect(backwards(`before\n${long}\nafter\n`, 1000)).toEqual(['before', 'after'])
    expect(backwards(`${long}\nafter\n`, 1000)).toEqual(['after'])
  })

  it('returns the newest N lines oldest first, and the newest N that contain q', async () => {
    const path = join(dir, 'numbers.log')
    writeFileSync(path, Array.from({ length: 10_000 }, (_, i) => `line ${i}${i % 1000 === 7 ? ' MATCH' : ''}`).join('\n') + '\n')
    const tail = await tailFile(path, 3, all)
    expect(tail).toEqual({ lines: ['line 9997', 'line 9998', 'line 9999'], truncated: false })
    const matches = await tailFile(path, 3, literalMatcher('match'))
    expect(matches.lines).toEqual(['line 7007 MATCH', 'line 8007 MATCH', 'line 9007 MATCH'])
    expect((await tailFile(path, 50, literalMatcher('MATCH'))).lines).toHaveLength(10)
  })

  it('a 2 GB sparse log costs a few blocks: the end is read, the scan bound stops a filter that finds nothing', async () => {
    const path = join(dir, 'huge.log')
    writeFileSync(path, '')
    truncateSync(path, 2 * 1024 ** 3)
    appendFileSync(path, '\nNov 25 04:02:01 mail postfix/smtpd[1]: connect from a[127.0.0.1]\nNov 25 04:02:02 mail postfix/smtpd[1]: disconnect from a[127.0.0.1]\n')
    const started = process.hrtime.bigint()
    const tail = await tailFile(path, 2, all)
    expect(tail.lines).toHaveLength(2)
    const none = await tailFile(path, 50, literalMatcher('never there'), 4 * BLOCK_BYTES)
    expect(none).toEqual({ lines: [], truncated: true })
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000)
  })
})

describe('a line\'s time and level', () => {
  it('classic syslog, RFC 3339 with a colon in the offset, and none', () => {
    const now = new Date(2026, 5, 1)
    expect(lineTime('May 28 04:02:01 host postfix/smtpd[1]: x', now)).toBe(new Date(2026, 4, 28, 4, 2, 1).toISOString())
    expect(lineTime('Dec  3 10:00:00 host x', now)).toBe(new Date(2025, 11, 3, 10, 0, 0).toISOString())
    expect(lineTime('2026-05-28T04:02:01.123+02:00 host postfix/smtpd[1]: x')).toBe('2026-05-28T02:02:01.123Z')
    expect(lineTime('garbage')).toBeNull()
  })

  it('errors, warnings, deliveries and connects, and the rest', () => {
    expect(lineLevel('postfix/smtp[1]: ABC: to=<a@b>, status=sent (250 ok)')).toBe('success')
    expect(lineLevel('postfix/smtp[1]: ABC: to=<a@b>, status=deferred (connect error: refused)')).toBe('warning')
    expect(lineLevel('postfix/smtp[1]: ABC: to=<a@b>, status=bounced (user unknown)')).toBe('error')
    expect(lineLevel('postfix/smtpd[1]: NOQUEUE: reject: RCPT from x: 554 5.7.1')).toBe('error')
    expect(lineLevel('postfix/smtpd[1]: warning: unknown[1.2.3.4]: SASL PLAIN authentication failed')).toBe('warning')
    expect(lineLevel('postfix/smtpd[1]: connect from localhost[127.0.0.1]')).toBe('success')
    expect(lineLevel('postfix/smtpd[1]: disconnect from localhost[127.0.0.1]')).toBe('info')
    expect(lineLevel('imap-login: Info: Login: user=<a@b>, method=PLAIN')).toBe('success')
    expect(lineLevel('imap(a@b): Error: Mailbox INBOX: open failed')).toBe('error')
    expect(lineLevel('master: Warning: Killed with signal 15')).toBe('warning')
    expect(lineLevel('postfix/qmgr[1]: ABC: removed')).toBe('info')
  })

  it('a journal entry: its identifier and pid, the journal\'s time, the priority before the words', () => {
    expect(journalLine({ __REALTIME_TIMESTAMP: '1780000000123456', MESSAGE: 'connect from x[1.2.3.4]', PRIORITY: '6', SYSLOG_IDENTIFIER: 'postfix/smtpd', _PID: '42' }))
      .toEqual({ time: new Date(1780000000123).toISOString(), level: 'success', text: 'postfix/smtpd[42]: connect from x[1.2.3.4]' })
    expect(journalLine({ MESSAGE: [104, 105], PRIORITY: '3' })).toEqual({ time: null, level: 'error', text: 'hi' })
  })

  it('q is a literal: regular-expression characters match only themselves', () => {
    const match = literalMatcher('a.c(')
    expect(match('xx A.C( yy')).toBe(true)
    expect(match('abc(')).toBe(false)
    expect(literalMatcher('.*')('anything')).toBe(false)
  })
})
