import type { RejectClass } from '#shared/types/mailstats'

/**
 * One Postfix log line → one event, with pflogsumm 1.1.5's semantics (the Debian package), so that
 * counting our events gives the totals of its "Grand Totals" on the same log; each step below names
 * the pflogsumm rule it reproduces. Both timestamp forms parse: classic syslog (`Nov 25 04:02:01`,
 * local time, no year) and RFC 3339 (`2026-05-28T04:02:01.123+02:00`).
 *
 * Written for speed, on bytes: a line is a range of the chunk it was read in (reader.ts), so nothing
 * is decoded but the few fields a counter keeps (a deferred queue id, a SASL login); each of
 * pflogsumm's regular expressions is replaced by byte comparisons and bounded searches, with no
 * backtracking; the result lives in fields of the parser, reused for every line. Most lines can count
 * nothing (connect, message-id, qmgr's from= and removed …): once a line is known to be Postfix's, a
 * prefilter (`mayCount`) drops those that contain none of the words an event needs before any
 * further work; it finds those words with one Buffer.indexOf per occurrence in the chunk, not one
 * search per line.
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
// Three bytes as one number, so a month name is looked up without decoding it.
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
const GREATER = 62
const LETTER_T = 84
const LETTER_Z = 90

// The shortest lines either timestamp form can start: every fixed-position read below stays inside them.
const CLASSIC_MIN_BYTES = 18 // `Nov 5 04:02:01 h r`
const RFC3339_MIN_BYTES = 24 // `2026-05-28T04:02:01Z h r`

/** Perl's \s (ASCII): space, \t, \n, \v, \f, \r. */
const isSpace = (c: number) => c === SPACE || (c >= 9 && c <= 13)
/** Perl's \w (ASCII). */
const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
/** The digit at i, or -1 (also past the buffer's end, where the byte is undefined). */
const digit = (b: Buffer, i: number) => {
  const d = b[i]! - 48
  return d >= 0 && d <= 9 ? d : -1
}
const twoDigits = (b: Buffer, i: number) => {
  const x = digit(b, i)
  const y = digit(b, i + 1)
  return x < 0 || y < 0 ? -1 : x * 10 + y
}

const bytesOf = (text: string) => Buffer.from(text, 'latin1')

/** Whether `word` is at p and ends by `end` (startsWith, kept inside the line). */
function isAt(b: Buffer, p: number, end: number, word: Buffer): boolean {
  const n = word.length
  if (p + n > end) return false
  for (let i = 0; i < n; i++) {
    if (b[p + i] !== word[i]) return false
  }
  return true
}

/** Whether bytes[start, end) are exactly `word`. */
const isWhole = (b: Buffer, start: number, end: number, word: Buffer) => end - start === word.length && isAt(b, start, end, word)

/** The first `word` wholly inside [p, end), or -1: a plain loop, since such a search stays within one line. */
function find(b: Buffer, word: Buffer, p: number, end: number): number {
  const first = word[0]
  for (let i = p, last = end - word.length; i <= last; i++) {
    if (b[i] === first && isAt(b, i, end, word)) return i
  }
  return -1
}

/** The first byte `c` in [p, end), or -1. */
function findByte(b: Buffer, c: number, p: number, end: number): number {
  for (let i = p; i < end; i++) {
    if (b[i] === c) return i
  }
  return -1
}

/**
 * Where `word` next occurs in the chunk, for lines handed over in order: the search runs once per
 * occurrence (Buffer.indexOf, i.e. memchr-fast) and each line only compares against its result.
 */
class NextOccurrence {
  private at = -1
  constructor(private readonly word: Buffer) {}

  forget(): void {
    this.at = -1
  }

  /** Whether `word` occurs in [start, end) of `b`; `start` must not go back until forget(). */
  within(b: Buffer, start: number, end: number): boolean {
    if (this.at < start) {
      const i = b.indexOf(this.word, start)
      this.at = i < 0 ? Number.POSITIVE_INFINITY : i
    }
    return this.at + this.word.length <= end
  }
}

const W = {
  postfix: bytesOf('postfix'),
  script: bytesOf('-script'),
  submission: bytesOf('submission/'),
  smtps: bytesOf('smtps/'),
  smtpd: bytesOf('smtpd'),
  cleanup: bytesOf('cleanup'),
  postscreen: bytesOf('postscreen'),
  pickup: bytesOf('pickup'),
  master: bytesOf('master'),
  warning: bytesOf('warning'),
  fatal: bytesOf('fatal'),
  panic: bytesOf('panic'),
  reject: bytesOf('reject'),
  rejectWarning: bytesOf('reject_warning'),
  hold: bytesOf('hold'),
  discard: bytesOf('discard'),
  colonSpace: bytesOf(': '),
  bracketColonSpace: bytesOf(']: '),
  client: bytesOf('client='),
  rejectVerdict: bytesOf('reject: '),
  rejectWarningVerdict: bytesOf('reject_warning: '),
  holdVerdict: bytesOf('hold: '),
  discardVerdict: bytesOf('discard: '),
  saslMethod: bytesOf('sasl_method='),
  saslUsername: bytesOf('sasl_username='),
  cleanupPid: bytesOf('/cleanup['),
  header: bytesOf('header '),
  body: bytesOf('body '),
  endOfMessage: bytesOf('END-OF-MESSAGE '),
  from: bytesOf('from=<'),
  size: bytesOf(', size='),
  to: bytesOf('to=<'),
  origTo: bytesOf('orig_to=<'),
  relay: bytesOf('relay='),
  connUse: bytesOf('conn_use='),
  delay: bytesOf('delay='),
  delays: bytesOf('delays='),
  dsn: bytesOf('dsn='),
  status: bytesOf('status='),
  commaStatus: bytesOf(', status='),
  sent: bytesOf('sent'),
  deferred: bytesOf('deferred'),
  bounced: bytesOf('bounced'),
  forwardedAs: bytesOf('forwarded as '),
  pickupSender: bytesOf(': sender='),
  pickupUid: bytesOf(': uid='),
  envelope: bytesOf('; from=<'),
} as const

// The reply texts that tell reject classes apart, in the order they are tried.
const REJECT_CLASSES: [RejectClass, Buffer[]][] = [
  ['rbl', [bytesOf(' blocked using ')]],
  ['greylist', [bytesOf('reylist')]],
  ['unknown_user', ['ser unknown', 'nknown user', 'User doesn\'t exist', 'undeliverable address'].map(bytesOf)],
  ['policy', [' rejected: ', 'rejected by ', 'Relay access denied', 'Access denied'].map(bytesOf)],
]

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

// Which timestamp form the last line had.
const STAMP_CLASSIC = 0
const STAMP_RFC3339 = 1

const EMPTY = Buffer.alloc(0)

export class LineParser {
  /** The last line's event. */
  kind: MailEventCode = MailEvent.none
  /** Whether the last line was a Postfix line (a timestamp, a host, a postfix/… program and a `: ` field). */
  postfix = false
  /**
   * The last line's minute (Unix time in minutes) when it has an event; NaN when its month is not a
   * month name, and for lines without an event (lineMinute() reads theirs).
   */
  minute = Number.NaN
  /** For `rejected`. */
  rejectClass: RejectClass = 'other'

  private bytes: Buffer = EMPTY
  private lineStart = 0
  private stampForm = STAMP_CLASSIC
  private qidStart = 0
  private qidEnd = 0
  private loginStart = -1
  private loginEnd = -1

  // A line can have an event only if it holds one of these (or comes from pickup): see mayCount.
  // `, status=`: the delivery expression always has `, ` before status=, and the longer word is found faster.
  private readonly nextStatus = new NextOccurrence(W.commaStatus)
  private readonly nextClient = new NextOccurrence(W.client)
  private readonly nextReject = new NextOccurrence(W.reject)

  private readonly syslogPrefix: Buffer | null
  private readonly utcOffset: number | null
  private readonly year: number
  private readonly month: number
  // The hour last seen, so the minute costs one Date computation per hour of log, not one per line.
  private monthKey = -1
  private monthIndex: number | undefined
  private hourKey = -1
  private hourMinute = 0

  constructor(options: LineParserOptions = {}) {
    this.syslogPrefix = options.syslogName && options.syslogName !== 'postfix' ? bytesOf(`${options.syslogName}/`) : null
    this.utcOffset = options.utcOffsetMinutes ?? null
    const now = options.now ?? new Date()
    this.year = now.getFullYear()
    this.month = now.getMonth()
  }

  /** The buffer of the next lines holds new bytes (a stream may reuse one Buffer for every chunk). */
  newChunk(): void {
    this.nextStatus.forget()
    this.nextClient.forget()
    this.nextReject.forget()
  }

  /** The queue id of the last line (pflogsumm's $qid: the first `: `-field after the program). */
  qid(): string {
    return this.bytes.toString('utf8', this.qidStart, this.qidEnd)
  }

  /** The SASL login of the last `sent` line, lower-cased; '' when the line had none. */
  login(): string {
    return this.loginStart < 0 ? '' : this.bytes.toString('utf8', this.loginStart, this.loginEnd).toLowerCase()
  }

  /**
   * Parses the line bytes[start, end) (without its newline) and returns its event. Lines of one
   * buffer must come in order; call newChunk() when the buffer's bytes change.
   */
  parse(bytes: Buffer, start: number, end: number): MailEventCode {
    if (bytes !== this.bytes) {
      this.bytes = bytes
      this.newChunk()
    }
    this.lineStart = start
    this.kind = MailEvent.none
    this.postfix = false
    this.minute = Number.NaN
    this.loginStart = -1
    const rest = this.timestamp(bytes, start, end)
    if (rest < 0) return MailEvent.none
    const kind = this.body(bytes, rest, end)
    if (kind !== MailEvent.none) this.minute = this.lineMinute()
    this.kind = kind
    return kind
  }

  /** The last Postfix line's minute (Unix time in minutes), NaN when its month is not a month name. */
  lineMinute(): number {
    return this.stampForm === STAMP_CLASSIC ? this.classicMinute(this.bytes, this.lineStart) : this.rfc3339Minute(this.bytes, this.lineStart)
  }

  // ------------------------------------------------------------------ timestamp and host

  /**
   * pflogsumm: /^(...) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) \S+ (.+)$/, else
   * /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[\+\-]\d{2}:\d{2}|Z) \S+ (.+)$/.
   * Only checks the form (the minute is worked out for lines that count); returns where the rest of
   * the line (after the host) starts, or -1.
   */
  private timestamp(b: Buffer, start: number, end: number): number {
    if (end - start >= CLASSIC_MIN_BYTES && b[start + 3] === SPACE) {
      this.stampForm = STAMP_CLASSIC
      return this.classic(b, start, end)
    }
    if (end - start >= RFC3339_MIN_BYTES && b[start + 4] === MINUS) {
      this.stampForm = STAMP_RFC3339
      return this.rfc3339(b, start, end)
    }
    return -1
  }

  /** Where the day's space is in a classic timestamp: after one or two spaces and one or two digits. */
  private classicDayEnd(b: Buffer, start: number): number {
    let p = start + 4
    if (b[p] === SPACE) p++
    if (digit(b, p++) < 0) return -1
    if (digit(b, p) >= 0) p++
    return b[p] === SPACE ? p : -1
  }

  private classic(b: Buffer, start: number, end: number): number {
    const p = this.classicDayEnd(b, start)
    if (p < 0 || twoDigits(b, p + 1) < 0 || twoDigits(b, p + 4) < 0 || twoDigits(b, p + 7) < 0
      || b[p + 3] !== COLON || b[p + 6] !== COLON || b[p + 9] !== SPACE) return -1
    return this.afterHost(b, p + 10, end)
  }

  private classicMinute(b: Buffer, start: number): number {
    const monthKey = (b[start]! << 16) | (b[start + 1]! << 8) | b[start + 2]!
    if (monthKey !== this.monthKey) {
      this.monthKey = monthKey
      this.monthIndex = MONTH_BY_KEY.get(monthKey)
    }
    const month = this.monthIndex
    if (month === undefined) return Number.NaN
    const p = this.classicDayEnd(b, start)
    const day = digit(b, p - 2) < 0 ? digit(b, p - 1) : twoDigits(b, p - 2)
    const hour = twoDigits(b, p + 1)
    const key = ((month * 32 + day) * 24 + hour)
    if (key !== this.hourKey) {
      const year = month > this.month ? this.year - 1 : this.year
      this.hourKey = key
      this.hourMinute = this.utcOffset === null
        ? new Date(year, month, day, hour).getTime() / MS_PER_MINUTE
        : Date.UTC(year, month, day, hour) / MS_PER_MINUTE - this.utcOffset
    }
    return this.hourMinute + twoDigits(b, p + 4)
  }

  private rfc3339(b: Buffer, start: number, end: number): number {
    if (twoDigits(b, start) < 0 || twoDigits(b, start + 2) < 0 || twoDigits(b, start + 5) < 0 || twoDigits(b, start + 8) < 0
      || twoDigits(b, start + 11) < 0 || twoDigits(b, start + 14) < 0 || twoDigits(b, start + 17) < 0
      || b[start + 7] !== MINUS || b[start + 10] !== LETTER_T || b[start + 13] !== COLON || b[start + 16] !== COLON) return -1
    const p = this.rfc3339ZoneStart(b, start)
    if (p < 0) return -1
    const sign = b[p]
    let q: number
    if (sign === LETTER_Z) {
      q = p + 1
    }
    else if (sign === PLUS || sign === MINUS) {
      if (p + 6 >= end || twoDigits(b, p + 1) < 0 || twoDigits(b, p + 4) < 0 || b[p + 3] !== COLON) return -1
      q = p + 6
    }
    else {
      return -1
    }
    if (q >= end || b[q] !== SPACE) return -1
    return this.afterHost(b, q + 1, end)
  }

  /** Past the seconds and their optional fraction: where `Z` or the offset is, or -1. */
  private rfc3339ZoneStart(b: Buffer, start: number): number {
    let p = start + 19
    if (b[p] === DOT) {
      if (digit(b, ++p) < 0) return -1
      while (digit(b, p) >= 0) p++
    }
    return p
  }

  private rfc3339Minute(b: Buffer, start: number): number {
    const year = twoDigits(b, start) * 100 + twoDigits(b, start + 2)
    const month = twoDigits(b, start + 5)
    const day = twoDigits(b, start + 8)
    const hour = twoDigits(b, start + 11)
    const p = this.rfc3339ZoneStart(b, start)
    const sign = b[p]
    const offset = sign === LETTER_Z ? 0 : (sign === PLUS ? 1 : -1) * (twoDigits(b, p + 1) * MINUTES_PER_HOUR + twoDigits(b, p + 4))
    // Offsets are within ±24 h, so 4096 keeps two different ones apart.
    const key = ((((year * 13 + month) * 32 + day) * 24 + hour) * 4096) + offset + 2048
    if (key !== this.hourKey) {
      this.hourKey = key
      this.hourMinute = Date.UTC(year, month - 1, day, hour) / MS_PER_MINUTE - offset
    }
    return this.hourMinute + twoDigits(b, start + 14)
  }

  /** `\S+ (.+)$` from p: a non-empty host, one space, a non-empty rest. */
  private afterHost(b: Buffer, p: number, end: number): number {
    const space = findByte(b, SPACE, p, end)
    if (space <= p || space + 1 >= end) return -1
    return space + 1
  }

  // ------------------------------------------------------------------ program, queue id, event

  private body(b: Buffer, r: number, end: number): MailEventCode {
    // pflogsumm: m#^(?:postfix|$syslogName)(?:/(?:smtps|submission))?/([^\[:]*).*?: ([^:\s]+)#, else
    // m#^((?:postfix)(?:-script)?)(?:\[\d+\])?: ([^:\s]+)#.
    let cmdStart: number
    const postfix = isAt(b, r, end, W.postfix)
    if (postfix && b[r + 7] === SLASH) cmdStart = r + 8
    else if (this.syslogPrefix !== null && isAt(b, r, end, this.syslogPrefix)) cmdStart = r + this.syslogPrefix.length
    else return postfix ? this.bareProgram(b, r, end) : MailEvent.none
    if (isAt(b, cmdStart, end, W.submission)) cmdStart += 11
    else if (isAt(b, cmdStart, end, W.smtps)) cmdStart += 6
    const colon = findByte(b, COLON, cmdStart, end)
    if (colon < 0) return MailEvent.none
    const bracket = findByte(b, BRACKET_OPEN, cmdStart, colon)
    const cmdEnd = bracket >= 0 ? bracket : colon
    if (!this.findQid(b, cmdEnd, end)) return MailEvent.none
    this.postfix = true
    const cmd = this.command(b, cmdStart, cmdEnd)
    if (cmd !== CMD_PICKUP && !this.mayCount(b, end)) return MailEvent.none
    return this.classify(b, r, end, cmd)
  }

  /**
   * The prefilter: every event but pickup's needs `, status=` (a delivery), `client=` (smtpd's
   * received) or `reject` (a reject verdict or queue id), so a line with none of them counts nothing.
   */
  private mayCount(b: Buffer, end: number): boolean {
    const start = this.lineStart
    return this.nextStatus.within(b, start, end) || this.nextClient.within(b, start, end) || this.nextReject.within(b, start, end)
  }

  /** `postfix[pid]: X` and `postfix-script[pid]: X` (master's start-up lines, postfix-script): no program of interest. */
  private bareProgram(b: Buffer, r: number, end: number): MailEventCode {
    let p = r + 7
    if (isAt(b, p, end, W.script)) p += 7
    if (b[p] === BRACKET_OPEN) {
      const digitsStart = ++p
      while (p < end && digit(b, p) >= 0) p++
      if (p === digitsStart || b[p] !== BRACKET_CLOSE) return MailEvent.none
      p++
    }
    if (p + 1 >= end || b[p] !== COLON || b[p + 1] !== SPACE) return MailEvent.none
    const q = p + 2
    const c = b[q]!
    if (q >= end || c === COLON || isSpace(c)) return MailEvent.none
    this.qidStart = q
    this.qidEnd = this.qidEndFrom(b, q, end)
    this.postfix = true
    if (!this.mayCount(b, end)) return MailEvent.none
    return this.classify(b, r, end, CMD_OTHER)
  }

  /** `.*?: ([^:\s]+)` from p: the first `: ` followed by a byte that is neither `:` nor a space. */
  private findQid(b: Buffer, p: number, end: number): boolean {
    for (;;) {
      const sep = find(b, W.colonSpace, p, end)
      if (sep < 0 || sep + 2 >= end) return false
      const q = sep + 2
      const c = b[q]!
      if (c !== COLON && !isSpace(c)) {
        this.qidStart = q
        this.qidEnd = this.qidEndFrom(b, q, end)
        return true
      }
      p = sep + 1
    }
  }

  /** `[^:\s]+` from q. */
  private qidEndFrom(b: Buffer, q: number, end: number): number {
    let e = q + 1
    while (e < end && b[e] !== COLON && !isSpace(b[e]!)) e++
    return e
  }

  private command(b: Buffer, start: number, end: number): number {
    switch (b[start]) {
      case 115: return isWhole(b, start, end, W.smtpd) ? CMD_SMTPD : CMD_OTHER // s
      case 99: return isWhole(b, start, end, W.cleanup) ? CMD_CLEANUP : CMD_OTHER // c
      case 112: return isWhole(b, start, end, W.postscreen) ? CMD_POSTSCREEN : isWhole(b, start, end, W.pickup) ? CMD_PICKUP : CMD_OTHER // p
      case 109: return isWhole(b, start, end, W.master) ? CMD_MASTER : CMD_OTHER // m
      default: return CMD_OTHER
    }
  }

  private qidIs(word: Buffer): boolean {
    return isWhole(this.bytes, this.qidStart, this.qidEnd, word)
  }

  /** pflogsumm's main if/elsif chain, in its order. `r`: the start of its $logRmdr. */
  private classify(b: Buffer, r: number, end: number, cmd: number): MailEventCode {
    if (cmd === CMD_CLEANUP) {
      const verdict = this.cleanupVerdict(b, r, end)
      if (verdict === CLEANUP_REJECT) return this.rejected(b, this.qidEnd, end)
      if (verdict === CLEANUP_OTHER) return MailEvent.none
    }
    const qidLength = this.qidEnd - this.qidStart
    if (qidLength <= 14) {
      if (this.qidIs(W.warning) || this.qidIs(W.fatal) || this.qidIs(W.panic)) return MailEvent.none
      if (this.qidIs(W.reject)) return this.rejected(b, this.qidEnd, end)
      if (this.qidIs(W.rejectWarning) || this.qidIs(W.hold) || this.qidIs(W.discard)) return MailEvent.none
    }
    if (cmd === CMD_MASTER) return MailEvent.none
    if (cmd === CMD_SMTPD || cmd === CMD_POSTSCREEN) return this.smtpd(b, r, end)
    if (this.fromSize(b, r, end)) return MailEvent.none
    const delivery = this.delivery(b, r, end)
    if (delivery !== MailEvent.none) return delivery
    if (cmd === CMD_PICKUP) {
      if (find(b, W.pickupSender, r, end) >= 0 || find(b, W.pickupUid, r, end) >= 0) return MailEvent.local
    }
    return MailEvent.none
  }

  /**
   * /\[\d+\]: \w+: client=(.+?)(,|$)/ first, else /\[\d+\]: \w+: (reject(?:_warning)?|hold|discard): /,
   * each anywhere in the line. A client line with `sasl_method=` is an authenticated submission.
   */
  private smtpd(b: Buffer, r: number, end: number): MailEventCode {
    let verdict = SMTPD_NOTHING
    let verdictAt = 0
    for (let k = find(b, W.bracketColonSpace, r, end); k >= 0; k = find(b, W.bracketColonSpace, k + 1, end)) {
      let d = k - 1
      while (d >= r && digit(b, d) >= 0) d--
      if (d === k - 1 || d < r || b[d] !== BRACKET_OPEN) continue
      let w = k + 3
      while (w < end && isWord(b[w]!)) w++
      if (w === k + 3 || w + 1 >= end || b[w] !== COLON || b[w + 1] !== SPACE) continue
      const after = w + 2
      if (isAt(b, after, end, W.client) && after + 7 < end) {
        return this.received(b, after + 7, end)
      }
      if (verdict === SMTPD_NOTHING) {
        if (isAt(b, after, end, W.rejectVerdict)) verdict = SMTPD_REJECT
        else if (isAt(b, after, end, W.rejectWarningVerdict) || isAt(b, after, end, W.holdVerdict) || isAt(b, after, end, W.discardVerdict)) verdict = SMTPD_OTHER_VERDICT
        verdictAt = after
      }
    }
    return verdict === SMTPD_REJECT ? this.rejected(b, verdictAt, end) : MailEvent.none
  }

  private received(b: Buffer, p: number, end: number): MailEventCode {
    const method = find(b, W.saslMethod, p, end)
    if (method < 0) return MailEvent.inbound
    const login = find(b, W.saslUsername, method, end)
    if (login >= 0) {
      this.loginStart = login + 14
      const comma = findByte(b, COMMA, this.loginStart, end)
      this.loginEnd = comma >= 0 ? comma : end
    }
    return MailEvent.sent
  }

  /**
   * /\/cleanup\[\d+\]: .*?\b((?:milter-)?reject|warning|hold|discard): (header|body|END-OF-MESSAGE) (.*)$/:
   * header/body checks and milters; only reject and milter-reject count as rejected.
   */
  private cleanupVerdict(b: Buffer, r: number, end: number): number {
    for (let k = find(b, W.cleanupPid, r, end); k >= 0; k = find(b, W.cleanupPid, k + 1, end)) {
      let p = k + 9
      const digitsStart = p
      while (p < end && digit(b, p) >= 0) p++
      if (p === digitsStart || p + 2 >= end || b[p] !== BRACKET_CLOSE || b[p + 1] !== COLON || b[p + 2] !== SPACE) continue
      const s = p + 3
      for (let j = find(b, W.colonSpace, s, end); j >= 0; j = find(b, W.colonSpace, j + 1, end)) {
        const verdict = this.cleanupWordBefore(b, s, j)
        if (verdict === CLEANUP_NONE) continue
        const t = j + 2
        if (isAt(b, t, end, W.header) || isAt(b, t, end, W.body) || isAt(b, t, end, W.endOfMessage)) return verdict
      }
    }
    return CLEANUP_NONE
  }

  /** The verdict word ending at j, starting at or after s, on a word boundary. */
  private cleanupWordBefore(b: Buffer, s: number, j: number): number {
    if (this.wordBefore(b, s, j, W.reject)) return CLEANUP_REJECT
    if (this.wordBefore(b, s, j, W.warning) || this.wordBefore(b, s, j, W.hold) || this.wordBefore(b, s, j, W.discard)) return CLEANUP_OTHER
    return CLEANUP_NONE
  }

  /** `\bword` ending at j and starting at or after s. */
  private wordBefore(b: Buffer, s: number, j: number, word: Buffer): boolean {
    const at = j - word.length
    return at >= s && isAt(b, at, j, word) && (at === this.lineStart || !isWord(b[at - 1]!))
  }

  /** /from=<([^>]*)>, size=(\d+)/: qmgr's message line, which pflogsumm reads for sizes only. */
  private fromSize(b: Buffer, r: number, end: number): boolean {
    for (let k = find(b, W.from, r, end); k >= 0; k = find(b, W.from, k + 1, end)) {
      const gt = findByte(b, GREATER, k + 6, end)
      if (gt < 0) return false
      if (isAt(b, gt + 1, end, W.size) && gt + 8 < end && digit(b, gt + 8) >= 0) return true
    }
    return false
  }

  /**
   * /to=<([^>]*)>, (?:orig_to=<[^>]*>, )?relay=([^,]+), (?:conn_use=[^,]+, )?delay=([^,]+),
   * (?:delays=[^,]+, )?(?:dsn=[^,]+, )?status=(\S+)(.*)$/: one recipient's delivery attempt.
   */
  private delivery(b: Buffer, r: number, end: number): MailEventCode {
    for (let k = find(b, W.to, r, end); k >= 0; k = find(b, W.to, k + 1, end)) {
      const gt = findByte(b, GREATER, k + 4, end)
      if (gt < 0) return MailEvent.none
      let p = gt + 1
      if (p + 1 >= end || b[p] !== COMMA || b[p + 1] !== SPACE) continue
      p += 2
      if (isAt(b, p, end, W.origTo)) {
        const gt2 = findByte(b, GREATER, p + 9, end)
        if (gt2 < 0 || gt2 + 2 >= end || b[gt2 + 1] !== COMMA || b[gt2 + 2] !== SPACE) continue
        p = gt2 + 3
      }
      if (!isAt(b, p, end, W.relay) || (p = this.field(b, p + 6, end)) < 0) continue
      if (isAt(b, p, end, W.connUse) && (p = this.field(b, p + 9, end)) < 0) continue
      if (!isAt(b, p, end, W.delay) || (p = this.field(b, p + 6, end)) < 0) continue
      if (isAt(b, p, end, W.delays) && (p = this.field(b, p + 7, end)) < 0) continue
      if (isAt(b, p, end, W.dsn) && (p = this.field(b, p + 4, end)) < 0) continue
      if (!isAt(b, p, end, W.status)) continue
      p += 7
      let e = p
      while (e < end && !isSpace(b[e]!)) e++
      if (e === p) continue
      const length = e - p
      if (length === 4 && isAt(b, p, e, W.sent)) {
        return find(b, W.forwardedAs, e, end) >= 0 ? MailEvent.forwarded : MailEvent.delivered
      }
      if (length === 8 && isAt(b, p, e, W.deferred)) return MailEvent.deferred
      if (length === 7 && isAt(b, p, e, W.bounced)) return MailEvent.bounced
      return MailEvent.none
    }
    return MailEvent.none
  }

  /** `[^,]+, ` from p: returns where the next field starts, or -1. */
  private field(b: Buffer, p: number, end: number): number {
    const comma = findByte(b, COMMA, p, end)
    if (comma <= p || comma + 1 >= end || b[comma + 1] !== SPACE) return -1
    return comma + 2
  }

  /**
   * Any line pflogsumm counts as rejected. The class is read from the reply after the verdict (`from`)
   * and before the envelope (`; from=<…`), so a client's HELO name or address cannot pick it.
   */
  private rejected(b: Buffer, from: number, end: number): MailEventCode {
    const envelope = find(b, W.envelope, from, end)
    const until = envelope < 0 ? end : envelope
    this.rejectClass = 'other'
    for (const [rejectClass, texts] of REJECT_CLASSES) {
      for (const text of texts) {
        if (find(b, text, from, until) >= 0) {
          this.rejectClass = rejectClass
          return MailEvent.rejected
        }
      }
    }
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
  const bytes = Buffer.from(line, 'utf8')
  const kind = parser.parse(bytes, 0, bytes.length)
  if (!parser.postfix) return null
  const minute = parser.lineMinute()
  const parsed: ParsedLine = {
    event: EVENT_NAMES[kind],
    minute: Number.isNaN(minute) ? null : new Date(minute * MS_PER_MINUTE),
    qid: parser.qid(),
  }
  if (kind === MailEvent.sent) parsed.login = parser.login()
  if (kind === MailEvent.rejected) parsed.rejectClass = parser.rejectClass
  return parsed
}
