// Mail statistics from the Postfix log (server/services/maillog): totals, per-minute buckets, senders.

/** Why smtpd (or cleanup) refused a message: a DNSBL hit, greylisting, a policy restriction, an unknown recipient, or anything else. */
export type RejectClass = 'rbl' | 'greylist' | 'policy' | 'unknown_user' | 'other'

/**
 * Totals over the lines read. `received`, `delivered`, `forwarded`, `deferred`, `bounced` and `rejected`
 * mean what pflogsumm's "Grand Totals" mean, so the two agree on the same log:
 * - `received` = messages smtpd/postscreen accepted (`<qid>: client=`) plus local pickups; it splits
 *   into `sent` (authenticated: `sasl_method=` on the client line), `inbound` (smtpd without SASL)
 *   and `local` (pickup);
 * - `delivered` = recipients delivered (`status=sent`, not "forwarded as");
 * - `deferred` = messages deferred at least once, `deferrals` = deferral lines;
 * - `bounced` = recipients bounced; `rejected` = smtpd, postscreen and cleanup rejects.
 */
export interface MailTotals {
  received: number
  sent: number
  inbound: number
  local: number
  delivered: number
  forwarded: number
  deferred: number
  deferrals: number
  bounced: number
  rejected: number
  rejects: Record<RejectClass, number>
}

/** One minute of traffic; `start` is the minute's first instant, UTC, ISO 8601. Deferred counts deferral lines here. */
export interface MailMinute {
  start: string
  received: number
  sent: number
  delivered: number
  deferred: number
  bounced: number
  rejected: number
  /** Of `rejected`: by class (`other` is the rest). */
  rejected_rbl: number
  rejected_greylist: number
  rejected_policy: number
  rejected_unknown_user: number
}

export interface MailStats {
  /** Lines read, and those among them that were not Postfix log lines (other daemons, garbage, too long). */
  lines: number
  skipped: number
  totals: MailTotals
  /** Oldest first. */
  minutes: MailMinute[]
  /** Authenticated submissions by SASL login (lower-cased) and by its domain. */
  sent_by_mailbox: Record<string, number>
  sent_by_domain: Record<string, number>
}
