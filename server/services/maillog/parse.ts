import type { RejectClass } from '#shared/types/mailstats'

/**
 * One Postfix log line → one event, with pflogsumm 1.1.5's semantics (the Debian package), so that
 * counting our events gives the totals of its "Grand Totals" on the same log; each step below names
 * the pflogsumm rule it reproduces. Both timestamp forms parse: classic syslog (`Nov 25 04:02:01`,
 * local time, no year) and RFC 3339 (`2026-05-28T04:02:01.123+02:00`).
 *
 * Written for speed: a line is a slice of the decoded chunk (reader.ts: it shares the chunk's memory,
 * and keeps indexOf inside the line); each of pflogsumm's regular expressions is replaced by
 * startsWith/indexOf and char-code tests, with no backtracking; the result lives in fields of the
 * parser, reused for every line, and only what a counter keeps (a deferred queue id, a SASL login)
 * is copied out.
 *
 * Not reproduced: Solaris' `[ID nnn facility]` tags (pflogsumm strips them first), pflogsumm's
 * `-d today|yesterday` filter, and held/discarded/reject_warning counts (no event).
 */

/** What a line says; `none` for Postfix lines that count nothing and for every other line. */
export const MailEvent = {
  none: 0,
  /** smtpd accepted a message from an unauthenticated client (pflogsumm: received). */
  inbound: 1,
  /** smtpd accepted a message from a SASL-authenticated client (pflogsumm: received; ours: sent too). */
  sent: 2,
  /** pickup took a locally submitted message (pflogsumm: received). */
  local: 3,
  delivered: 4,
  forwarded: 5,
  deferred: 6,
  bounced: 7,
  rejected: 8,
} as const
export type MailEventCode = typeof MailEvent[keyof typeof MailEvent]

export interface LineParserOptions {
  /** Postfix's syslog_name when it is not `postfix` (pflogsumm --syslog-name); `postfix` is always accepted too. */
  syslogName?: string
  /** The zone of classic syslog timestamps, in minutes east of UTC; default: this process's local time. */
  utcOffsetMinutes?: number
  /** Gives classic timestamps their year: this year, or last year for a month after this one (as pflogsumm). */
  now?: Date
}

const MS_PER_MINUTE = 60_000
const MINUTES_PER_HOUR = 60
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
// Three characters as one number, so a month name is looked up without slicing it out.
const MONTH_BY_KEY = new Map(MONTHS.map((name, i) => [(name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), i]))

const SPACE = 32
const COLON = 58
const SLASH = 47
const BRACKET_OPEN = 91
const BRACKET_CLOSE = 93
const DOT = 46
const COMMA = 44
const PLUS = 43
const MINUS = 45
const LETTER_T = 84
const LETTER_Z = 90

/** Perl's \s (ASCII): space, \t, \n, \v, \f, \r. */
const isSpace = (c: number) => c === SPACE || (c >= 9 && c <= 13)
/** Perl's \w (ASCII). */
const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const digit = (text: string, i: number) => {
  const d = text.charCodeAt(i) - 48
  return d >= 0 && d <= 9 ? d : -1
}
const twoDigits = (text: string, i: number) => {
  const a = digit(text, i)
  const b = digit(text, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

// The programs pflogsumm tells apart (its $cmd).
const CMD_OTHER = 0
const CMD_SMTPD = 1
const CMD_POSTSCREEN = 2
const CMD_CLEANUP = 3
const CMD_MASTER = 4
const CMD_PICKUP = 5

// What follows `<qid>: ` in an smtpd line (pflogsumm's two smtpd expressions).
const SMTPD_NOTHING = 0
const SMTPD_REJECT = 1
const SMTPD_OTHER_VERDICT = 2

// The cleanup verdicts pflogsumm's cleanup expression tells apart.
const CLEANUP_NONE = 0
const CLEANUP_REJECT = 1
const CLEANUP_OTHER = 2

export class LineParser {
  /** The last line's event. */
  kind: MailEventCode = MailEvent.none
  /** Whether the last line was a Postfix line (a timestamp, a host, a postfix/… program and a `: ` field). */
  postfix = false
  /** The last line's minute (Unix time in minutes), NaN when its month is not a month name. */
  minute = Number.NaN
  /** For `rejected`. */
  rejectClass: RejectClass = 'other'

  private text = ''
  private qidStart = 0
  private qidEnd = 0
  private loginStart = -1
  private loginEnd = -1

  private readonly syslogPrefix: string | null
  private readonly utcOffset: number | null
  private readonly year: number
  private readonly month: number
  // The hour last seen, so the minute costs one Date computation per hour of log, not one per line.
  private monthKey = -1
  private monthIndex: number | undefined
  private hourKey = -1
  private hourMinute = 0

  constructor(options: LineParserOptions = {}) {
    this.syslogPrefix = options.syslogName && options.syslogName !== 'postfix' ? `${options.syslogName}/` : null
    this.utcOffset = options.utcOffsetMinutes ?? null
    const now = options.now ?? new Date()
    this.year = now.getFullYear()
    this.month = now.getMonth()
  }

  /** The queue id of the last line (pflogsumm's $qid: the first `: `-field after the program). */
  qid(): string {
    return this.text.slice(this.qidStart, this.qidEnd)
  }

  /** The SASL login of the last `sent` line, lower-cased; '' when the line had none. */
  login(): string {
    return this.loginStart < 0 ? '' : this.text.slice(this.loginStart, this.loginEnd).toLowerCase()
  }

  /** Parses one line (without its newline) and returns its event. */
  parse(text: string): MailEventCode {
    // The helpers take (start, end) so they read as the regular expressions they replace.
    const start = 0
    const end = text.length
    this.text = text
    this.kind = MailEvent.none
    this.postfix = false
    this.loginStart = -1
    const rest = this.timestamp(text, start, end)
    if (rest < 0) return MailEvent.none
    this.kind = this.body(text, rest, end)
    return this.kind
  }

  // ------------------------------------------------------------------ timestamp and host

  /**
   * pflogsumm: /^(...) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) \S+ (.+)$/, else
   * /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[\+\-]\d{2}:\d{2}|Z) \S+ (.+)$/.
   * Sets `minute`; returns where the rest of the line (after the host) starts, or -1.
   */
  private timestamp(text: string, start: number, end: number): number {
    let p = start + 3
    if (p < end && text.charCodeAt(p) === SPACE) return this.classic(text, start, end)
    p = start + 4
    if (p < end && text.charCodeAt(p) === MINUS) return this.rfc3339(text, start, end)
    return -1
  }

  private classic(text: string, start: number, end: number): number {
    let p = start + 4
    if (text.charCodeAt(p) === SPACE) p++
    let day = digit(text, p++)
    if (day < 0) return -1
    const second = digit(text, p)
    if (second >= 0) {
      day = day * 10 + second
      p++
    }
    if (text.charCodeAt(p) !== SPACE) return -1
    const hour = twoDigits(text, p + 1)
    const min = twoDigits(text, p + 4)
    if (hour < 0 || min < 0 || twoDigits(text, p + 7) < 0
      || text.charCodeAt(p + 3) !== COLON || text.charCodeAt(p + 6) !== COLON || text.charCodeAt(p + 9) !== SPACE) return -1
    const rest = this.afterHost(text, p + 10, end)
    if (rest < 0) return -1
    const monthKey = (text.charCodeAt(start) << 16) | (text.charCodeAt(start + 1) << 8) | text.charCodeAt(start + 2)
    if (monthKey !== this.monthKey) {
      this.monthKey = monthKey
      this.monthIndex = MONTH_BY_KEY.get(monthKey)
    }
    const month = this.monthIndex
    if (month === undefined) {
      this.minute = Number.NaN
      return rest
    }
    const key = ((month * 32 + day) * 24 + hour)
    if (key !== this.hourKey) {
      const year = month > this.month ? this.year - 1 : this.year
      this.hourKey = key
      this.hourMinute = this.utcOffset === null
        ? new Date(year, month, day, hour).getTime() / MS_PER_MINUTE
        : Date.UTC(year, month, day, hour) / MS_PER_MINUTE - this.utcOffset
    }
    this.minute = this.hourMinute + min
    return rest
  }

  private rfc3339(text: string, start: number, end: number): number {
    const century = twoDigits(text, start)
    const yy = twoDigits(text, start + 2)
    const year = century * 100 + yy
    const month = twoDigits(text, start + 5)
    const day = twoDigits(text, start + 8)
    const hour = twoDigits(text, start + 11)
    const min = twoDigits(text, start + 14)
    if (year < 0 || month < 0 || day < 0 || hour < 0 || min < 0 || twoDigits(text, start + 17) < 0 || century < 0 || yy < 0
      || text.charCodeAt(start + 7) !== MINUS || text.charCodeAt(start + 10) !== LETTER_T
      || text.charCodeAt(start + 13) !== COLON || text.charCodeAt(start + 16) !== COLON) return -1
    let p = start + 19
    if (text.charCodeAt(p) === DOT) {
      if (digit(text, ++p) < 0) return -1
      while (digit(text, p) >= 0) p++
    }
    let offset = 0
    const sign = text.charCodeAt(p)
    if (sign === LETTER_Z) {
      p++
    }
    else if (sign === PLUS || sign === MINUS) {
      const oh = twoDigits(text, p + 1)
      const om = twoDigits(text, p + 4)
      if (oh < 0 || om < 0 || text.charCodeAt(p + 3) !== COLON) return -1
      offset = (sign === PLUS ? 1 : -1) * (oh * MINUTES_PER_HOUR + om)
      p += 6
    }
    else {
      return -1
    }
    if (text.charCodeAt(p) !== SPACE) return -1
    const rest = this.afterHost(text, p + 1, end)
    if (rest < 0) return -1
    // Offsets are within ±24 h, so 4096 keeps two different ones apart.
    const key = ((((year * 13 + month) * 32 + day) * 24 + hour) * 4096) + offset + 2048
    if (key !== this.hourKey) {
      this.hourKey = key
      this.hourMinute = Date.UTC(year, month - 1, day, hour) / MS_PER_MINUTE - offset
    }
    this.minute = this.hourMinute + min
    return rest
  }

  /** `\S+ (.+)$` from p: a non-empty host, one space, a non-empty rest. */
  private afterHost(text: string, p: number, end: number): number {
    const space = text.indexOf(' ', p)
    if (space <= p || space + 1 >= end) return -1
    return space + 1
  }

  // ------------------------------------------------------------------ program, queue id, event

  private body(text: string, r: number, end: number): MailEventCode {
    // pflogsumm: m#^(?:postfix|$syslogName)(?:/(?:smtps|submission))?/([^\[:]*).*?: ([^:\s]+)#, else
    // m#^((?:postfix)(?:-script)?)(?:\[\d+\])?: ([^:\s]+)#.
    let cmdStart: number
    const postfix = text.startsWith('postfix', r)
    if (postfix && text.charCodeAt(r + 7) === SLASH) cmdStart = r + 8
    else if (this.syslogPrefix !== null && text.startsWith(this.syslogPrefix, r)) cmdStart = r + this.syslogPrefix.length
    else return postfix ? this.bareProgram(text, r, end) : MailEvent.none
    if (text.startsWith('submission/', cmdStart)) cmdStart += 11
    else if (text.startsWith('smtps/', cmdStart)) cmdStart += 6
    const bracket = text.indexOf('[', cmdStart)
    const colon = text.indexOf(':', cmdStart)
    if (colon < 0) return MailEvent.none
    const cmdEnd = bracket >= 0 && bracket < colon ? bracket : colon
    if (!this.findQid(text, cmdEnd, end)) return MailEvent.none
    this.postfix = true
    return this.classify(text, r, end, this.command(text, cmdStart, cmdEnd))
  }

  /** `postfix[pid]: X` and `postfix-script[pid]: X` (master's start-up lines, postfix-script): no program of interest. */
  private bareProgram(text: string, r: number, end: number): MailEventCode {
    let p = r + 7
    if (text.startsWith('-script', p)) p += 7
    if (text.charCodeAt(p) === BRACKET_OPEN) {
      const digitsStart = ++p
      while (digit(text, p) >= 0) p++
      if (p === digitsStart || text.charCodeAt(p) !== BRACKET_CLOSE) return MailEvent.none
      p++
    }
    if (text.charCodeAt(p) !== COLON || text.charCodeAt(p + 1) !== SPACE) return MailEvent.none
    const q = p + 2
    const c = text.charCodeAt(q)
    if (q >= end || c === COLON || isSpace(c)) return MailEvent.none
    this.qidStart = q
    let e = q
    for (let ch = c; e < end && ch !== COLON && !isSpace(ch); ch = text.charCodeAt(++e));
    this.qidEnd = e
    this.postfix = true
    return this.classify(text, r, end, CMD_OTHER)
  }

  /** `.*?: ([^:\s]+)` from p: the first `: ` followed by a character that is neither `:` nor a space. */
  private findQid(text: string, p: number, end: number): boolean {
    for (;;) {
      const sep = text.indexOf(': ', p)
      if (sep < 0 || sep + 2 >= end) return false
      const q = sep + 2
      const c = text.charCodeAt(q)
      if (c !== COLON && !isSpace(c)) {
        this.qidStart = q
        let e = q + 1
        for (let ch = text.charCodeAt(e); e < end && ch !== COLON && !isSpace(ch); ch = text.charCodeAt(++e));
        this.qidEnd = e
        return true
      }
      p = sep + 1
    }
  }

  private command(text: string, start: number, end: number): number {
    const is = (name: string) => end - start === name.length && text.startsWith(name, start)
    switch (text.charCodeAt(start)) {
      case 115: return is('smtpd') ? CMD_SMTPD : CMD_OTHER // s
      case 99: return is('cleanup') ? CMD_CLEANUP : CMD_OTHER // c
      case 112: return is('postscreen') ? CMD_POSTSCREEN : is('pickup') ? CMD_PICKUP : CMD_OTHER // p
      case 109: return is('master') ? CMD_MASTER : CMD_OTHER // m
      default: return CMD_OTHER
    }
  }

  private qidIs(word: string): boolean {
    return this.qidEnd - this.qidStart === word.length && this.text.startsWith(word, this.qidStart)
  }

  /** pflogsumm's main if/elsif chain, in its order. `r`: the start of its $logRmdr. */
  private classify(text: string, r: number, end: number, cmd: number): MailEventCode {
    if (cmd === CMD_CLEANUP) {
      const verdict = this.cleanupVerdict(text, r, end)
      if (verdict === CLEANUP_REJECT) return this.rejected(text, this.qidEnd, end)
      if (verdict === CLEANUP_OTHER) return MailEvent.none
    }
    const qidLength = this.qidEnd - this.qidStart
    if (qidLength <= 14) {
      if (this.qidIs('warning') || this.qidIs('fatal') || this.qidIs('panic')) return MailEvent.none
      if (this.qidIs('reject')) return this.rejected(text, this.qidEnd, end)
      if (this.qidIs('reject_warning') || this.qidIs('hold') || this.qidIs('discard')) return MailEvent.none
    }
    if (cmd === CMD_MASTER) return MailEvent.none
    if (cmd === CMD_SMTPD || cmd === CMD_POSTSCREEN) return this.smtpd(text, r, end)
    if (this.fromSize(text, r, end)) return MailEvent.none
    const delivery = this.delivery(text, r, end)
    if (delivery !== MailEvent.none) return delivery
    if (cmd === CMD_PICKUP) {
      if (text.indexOf(': sender=', r) >= 0 || text.indexOf(': uid=', r) >= 0) return MailEvent.local
    }
    return MailEvent.none
  }

  /**
   * /\[\d+\]: \w+: client=(.+?)(,|$)/ first, else /\[\d+\]: \w+: (reject(?:_warning)?|hold|discard): /,
   * each anywhere in the line. A client line with `sasl_method=` is an authenticated submission.
   */
  private smtpd(text: string, r: number, end: number): MailEventCode {
    let verdict = SMTPD_NOTHING
    let verdictAt = 0
    for (let k = text.indexOf(']: ', r); k >= 0; k = text.indexOf(']: ', k + 1)) {
      let d = k - 1
      while (d >= r && digit(text, d) >= 0) d--
      if (d === k - 1 || d < r || text.charCodeAt(d) !== BRACKET_OPEN) continue
      let w = k + 3
      while (w < end && isWord(text.charCodeAt(w))) w++
      if (w === k + 3 || text.charCodeAt(w) !== COLON || text.charCodeAt(w + 1) !== SPACE) continue
      const after = w + 2
      if (text.startsWith('client=', after) && after + 7 < end) {
        return this.received(text, after + 7, end)
      }
      if (verdict === SMTPD_NOTHING) {
        if (text.startsWith('reject: ', after)) verdict = SMTPD_REJECT
        else if (text.startsWith('reject_warning: ', after) || text.startsWith('hold: ', after) || text.startsWith('discard: ', after)) verdict = SMTPD_OTHER_VERDICT
        verdictAt = after
      }
    }
    return verdict === SMTPD_REJECT ? this.rejected(text, verdictAt, end) : MailEvent.none
  }

  private received(text: string, p: number, end: number): MailEventCode {
    const method = text.indexOf('sasl_method=', p)
    if (method < 0) return MailEvent.inbound
    const login = text.indexOf('sasl_username=', method)
    if (login >= 0) {
      this.loginStart = login + 14
      const comma = text.indexOf(',', this.loginStart)
      this.loginEnd = comma >= 0 ? comma : end
    }
    return MailEvent.sent
  }

  /**
   * /\/cleanup\[\d+\]: .*?\b((?:milter-)?reject|warning|hold|discard): (header|body|END-OF-MESSAGE) (.*)$/:
   * header/body checks and milters; only reject and milter-reject count as rejected.
   */
  private cleanupVerdict(text: string, r: number, end: number): number {
    for (let k = text.indexOf('/cleanup[', r); k >= 0; k = text.indexOf('/cleanup[', k + 1)) {
      let p = k + 9
      const digitsStart = p
      while (digit(text, p) >= 0) p++
      if (p === digitsStart || text.charCodeAt(p) !== BRACKET_CLOSE || text.charCodeAt(p + 1) !== COLON || text.charCodeAt(p + 2) !== SPACE) continue
      const s = p + 3
      for (let j = text.indexOf(': ', s); j >= 0; j = text.indexOf(': ', j + 1)) {
        const verdict = this.cleanupWordBefore(text, s, j)
        if (verdict === CLEANUP_NONE) continue
        const t = j + 2
        if (text.startsWith('header ', t) || text.startsWith('body ', t) || text.startsWith('END-OF-MESSAGE ', t)) {
          if (t < end) return verdict
        }
      }
    }
    return CLEANUP_NONE
  }

  /** The verdict word ending at j, starting at or after s, on a word boundary. */
  private cleanupWordBefore(text: string, s: number, j: number): number {
    const wordAt = (word: string) => {
      const at = j - word.length
      return at >= s && text.startsWith(word, at) && (at === 0 || !isWord(text.charCodeAt(at - 1)))
    }
    if (wordAt('reject')) return CLEANUP_REJECT
    if (wordAt('warning') || wordAt('hold') || wordAt('discard')) return CLEANUP_OTHER
    return CLEANUP_NONE
  }

  /** /from=<([^>]*)>, size=(\d+)/: qmgr's message line, which pflogsumm reads for sizes only. */
  private fromSize(text: string, r: number, end: number): boolean {
    for (let k = text.indexOf('from=<', r); k >= 0; k = text.indexOf('from=<', k + 1)) {
      const gt = text.indexOf('>', k + 6)
      if (gt < 0) return false
      if (text.startsWith(', size=', gt + 1) && gt + 8 < end && digit(text, gt + 8) >= 0) return true
    }
    return false
  }

  /**
   * /to=<([^>]*)>, (?:orig_to=<[^>]*>, )?relay=([^,]+), (?:conn_use=[^,]+, )?delay=([^,]+),
   * (?:delays=[^,]+, )?(?:dsn=[^,]+, )?status=(\S+)(.*)$/: one recipient's delivery attempt.
   */
  private delivery(text: string, r: number, end: number): MailEventCode {
    for (let k = text.indexOf('to=<', r); k >= 0; k = text.indexOf('to=<', k + 1)) {
      const gt = text.indexOf('>', k + 4)
      if (gt < 0) return MailEvent.none
      let p = gt + 1
      if (text.charCodeAt(p) !== COMMA || text.charCodeAt(p + 1) !== SPACE) continue
      p += 2
      if (text.startsWith('orig_to=<', p)) {
        const gt2 = text.indexOf('>', p + 9)
        if (gt2 < 0 || text.charCodeAt(gt2 + 1) !== COMMA || text.charCodeAt(gt2 + 2) !== SPACE) continue
        p = gt2 + 3
      }
      if (!text.startsWith('relay=', p) || (p = this.field(text, p + 6, end)) < 0) continue
      if (text.startsWith('conn_use=', p) && (p = this.field(text, p + 9, end)) < 0) continue
      if (!text.startsWith('delay=', p) || (p = this.field(text, p + 6, end)) < 0) continue
      if (text.startsWith('delays=', p) && (p = this.field(text, p + 7, end)) < 0) continue
      if (text.startsWith('dsn=', p) && (p = this.field(text, p + 4, end)) < 0) continue
      if (!text.startsWith('status=', p)) continue
      p += 7
      let e = p
      for (let c = text.charCodeAt(e); e < end && !isSpace(c); c = text.charCodeAt(++e));
      if (e === p) continue
      const length = e - p
      if (length === 4 && text.startsWith('sent', p)) {
        return text.indexOf('forwarded as ', e) >= 0 ? MailEvent.forwarded : MailEvent.delivered
      }
      if (length === 8 && text.startsWith('deferred', p)) return MailEvent.deferred
      if (length === 7 && text.startsWith('bounced', p)) return MailEvent.bounced
      return MailEvent.none
    }
    return MailEvent.none
  }

  /** `[^,]+, ` from p: returns where the next field starts, or -1. */
  private field(text: string, p: number, end: number): number {
    const comma = text.indexOf(',', p)
    if (comma <= p || comma + 1 >= end || text.charCodeAt(comma + 1) !== SPACE) return -1
    return comma + 2
  }

  /**
   * Any line pflogsumm counts as rejected. The class is read from the reply after the verdict (`from`)
   * and before the envelope (`; from=<…`), so a client's HELO name or address cannot pick it.
   */
  private rejected(text: string, from: number, end: number): MailEventCode {
    // Reject lines are a few in a hundred: slicing this one keeps every search below inside it.
    const reply = text.slice(from, end)
    const envelope = reply.indexOf('; from=<')
    const until = envelope < 0 ? reply.length : envelope
    const has = (needle: string) => {
      const i = reply.indexOf(needle)
      return i >= 0 && i + needle.length <= until
    }
    if (has(' blocked using ')) this.rejectClass = 'rbl'
    else if (has('reylist')) this.rejectClass = 'greylist'
    else if (has('ser unknown') || has('nknown user') || has('User doesn\'t exist') || has('undeliverable address')) this.rejectClass = 'unknown_user'
    else if (has(' rejected: ') || has('rejected by ') || has('Relay access denied') || has('Access denied')) this.rejectClass = 'policy'
    else this.rejectClass = 'other'
    return MailEvent.rejected
  }
}

/** A parsed line as a value (for tests and callers that want one); the counters use LineParser's fields instead. */
export interface ParsedLine {
  event: keyof typeof MailEvent
  /** The line's minute, or null when it has no usable timestamp. */
  minute: Date | null
  qid: string
  login?: string
  rejectClass?: RejectClass
}

const EVENT_NAMES = Object.fromEntries(Object.entries(MailEvent).map(([name, code]) => [code, name])) as Record<MailEventCode, keyof typeof MailEvent>

/** One line → its event, or null when it is not a Postfix log line at all. */
export function parseLine(line: string, options?: LineParserOptions, parser = new LineParser(options)): ParsedLine | null {
  const kind = parser.parse(line)
  if (!parser.postfix) return null
  const parsed: ParsedLine = {
    event: EVENT_NAMES[kind],
    minute: Number.isNaN(parser.minute) ? null : new Date(parser.minute * MS_PER_MINUTE),
    qid: parser.qid(),
  }
  if (kind === MailEvent.sent) parsed.login = parser.login()
  if (kind === MailEvent.rejected) parsed.rejectClass = parser.rejectClass
  return parsed
}
