// GET /api/v1/stats/mail: what the stats collector stored from the mail log (server/services/mailstats).
import type { RejectClass } from './mailstats'

/** Counts over a period. `sent` = authenticated submissions; `received` includes them (pflogsumm's meaning). */
export interface MailStatsSummary {
  received: number
  sent: number
  delivered: number
  deferred: number
  bounced: number
  rejected: number
  rejects: Record<RejectClass, number>
}

export interface SenderCount {
  /** A SASL login (mailboxes) or its domain (domains). */
  name: string
  sent: number
}

export const MAIL_STATS_RANGES = ['1h', '24h', '7d', '30d'] as const
export type MailStatsRange = typeof MAIL_STATS_RANGES[number]

export interface MailStatsResponse {
  last_hour: MailStatsSummary
  last_24h: MailStatsSummary
  range: MailStatsRange
  /** Width of each point of `series`. */
  bucket_minutes: number
  /** Every bucket of the range, oldest first, zeros included; `start` is ISO 8601 UTC. */
  series: (MailStatsSummary & { start: string })[]
  /** Over the range. */
  top_senders: { mailboxes: SenderCount[], domains: SenderCount[] }
  collector: {
    /** MAILLOG_SOURCE: Postfix's own log file, or the journal (SYSLOG_FACILITY=2). */
    source: 'file' | 'journald'
    /** The log file read (the Postfix maillog_file the panel renders), or which journal in words. */
    path: string
    /** Lines (journal entries) counted so far from that source (across rotations), and when the collector last stored a pass. */
    lines: number
    last_read_at: string | null
    /** The last pass's error, if it failed (the file unreadable, …). */
    error: string | null
  }
}
