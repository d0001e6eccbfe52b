import type { LogLevel, LogLine } from '#shared/types/logs'

/**
 * Pure: one log line → its time and level, for the Logs tab's colours. No I/O, so it is unit-tested
 * without a daemon. The patterns are ours and anchored (never built from the client's `q`).
 *
 * Postfix marks problems `warning:` / `error:` / `fatal:` / `panic:` and a delivery `status=…`;
 * Dovecot writes `Info:` / `Warning:` / `Error:` / `Fatal:` / `Panic:` after the process name.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
// `Nov 25 04:02:01` (syslog, Postfix's maillog_file, Dovecot's log_timestamp): local time, no year.
const CLASSIC = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s/
// `2026-05-28T04:02:01.123+02:00` (rsyslog's high-precision format; a colon in the offset, or Z).
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))\s/
/** Journal priorities at or below this are errors (emerg … err), this one a warning (syslog's levels). */
const JOURNAL_ERR = 3
const JOURNAL_WARNING = 4
const MS_PER_US = 1000

const ERROR_MARKERS = ['fatal:', 'panic:', 'error:', 'reject:', 'status=bounced']
const WARNING_MARKERS = ['warning:', 'status=deferred', 'auth failed', 'authentication failed']
// Delivered mail, a client connecting, a user logging in. `: connect from` so `disconnect from` is not one.
const SUCCESS_MARKERS = ['status=sent', ': connect from', 'login: user=', 'saved mail to', 'stored mail into mailbox']

/**
 * The time of a classic or RFC 3339 timestamp at the start of `text`, or null. A classic one is read
 * in this process's zone, in this year, or last year for a month after `now`'s (as pflogsumm does).
 */
export function lineTime(text: string, now = new Date()): string | null {
  const rfc = RFC3339.exec(text)
  if (rfc) {
    const ms = Date.parse(rfc[1]!)
    return Number.isNaN(ms) ? null : new Date(ms).toISOString()
  }
  const classic = CLASSIC.exec(text)
  if (!classic) return null
  const month = MONTHS.indexOf(classic[1]!)
  if (month < 0) return null
  const year = month > now.getMonth() ? now.getFullYear() - 1 : now.getFullYear()
  const fraction = classic[6] ? Number(`0.${classic[6]}`) * 1000 : 0
  const date = new Date(year, month, Number(classic[2]), Number(classic[3]), Number(classic[4]), Number(classic[5]), fraction)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** error / warning / success / info from the words a line carries (case-insensitive); a delivery status decides first. */
export function lineLevel(text: string): LogLevel {
  const lower = text.toLowerCase()
  // A status=deferred line quotes the remote's reply, which may say "error": its status decides.
  if (lower.includes('status=sent')) return 'success'
  if (lower.includes('status=deferred')) return 'warning'
  if (ERROR_MARKERS.some(m => lower.includes(m))) return 'error'
  if (WARNING_MARKERS.some(m => lower.includes(m))) return 'warning'
  if (SUCCESS_MARKERS.some(m => lower.includes(m))) return 'success'
  return 'info'
}

export function parseLogLine(text: string, now?: Date): LogLine {
  return { time: lineTime(text, now), level: lineLevel(text), text }
}

/** What `journalctl -o json` prints per entry (the fields asked for; MESSAGE is a byte array when not UTF-8). */
export interface JournalEntry {
  __REALTIME_TIMESTAMP?: string
  MESSAGE?: string | number[] | null
  PRIORITY?: string
  SYSLOG_IDENTIFIER?: string
  _PID?: string
}

/** One journal entry → a line `identifier[pid]: message`, its time from the journal, its level from the priority or the words. */
export function journalLine(entry: JournalEntry): LogLine {
  const raw = entry.MESSAGE
  const message = typeof raw === 'string' ? raw : Array.isArray(raw) ? Buffer.from(raw).toString('utf8') : ''
  const ident = entry.SYSLOG_IDENTIFIER ?? ''
  const text = ident ? `${ident}${entry._PID ? `[${entry._PID}]` : ''}: ${message}` : message
  const us = Number(entry.__REALTIME_TIMESTAMP)
  const time = Number.isFinite(us) && us > 0 ? new Date(Math.floor(us / MS_PER_US)).toISOString() : null
  const priority = Number(entry.PRIORITY)
  const level: LogLevel = priority <= JOURNAL_ERR ? 'error' : priority === JOURNAL_WARNING ? 'warning' : lineLevel(text)
  return { time, level, text }
}

/** A literal, case-insensitive substring test: `q` is never compiled into a regular expression. */
export function literalMatcher(q: string): (text: string) => boolean {
  if (!q) return () => true
  const needle = q.toLowerCase()
  return text => text.toLowerCase().includes(needle)
}
