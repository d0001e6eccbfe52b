import type { LogService } from '#shared/schemas/logs'

// GET /api/v1/logs (server/services/logs): the newest lines of one daemon's log.

/** How the dashboard colours a line: errors red, warnings orange, deliveries and connects/logins green. */
export type LogLevel = 'error' | 'warning' | 'info' | 'success'

export interface LogLine {
  /** ISO 8601, when the line's timestamp parsed (classic syslog, RFC 3339, or the journal's own); else null. */
  time: string | null
  level: LogLevel
  /** The line as the daemon wrote it (a journal entry as `identifier[pid]: message`). */
  text: string
}

/**
 * `journald`: the daemon's systemd units in the journal; `file`: the log file the panel's rendered
 * configuration names (Postfix `maillog_file`, Dovecot `log_path`), used whenever it exists.
 */
export type LogSource = 'file' | 'journald'

export interface LogsResponse {
  service: LogService
  source: LogSource
  /** The file read (source `file`), else null. */
  file: string | null
  /** Lines asked for, and the filter as given ('' = none). */
  lines: number
  q: string
  /** Oldest first, at most `lines`. */
  data: LogLine[]
  /** The search stopped at its bound (bytes of the file, or entries of the journal) before finding `lines` matches. */
  truncated: boolean
}
