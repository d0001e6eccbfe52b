import type { FailMode } from '#shared/schemas/policyd'
import { DOMAIN_NAME_RE, LOCAL_PART_RE, MAX_LOCAL_PART } from '#shared/schemas/common'
import type { SenderLimits } from '#server/db/queries/policyd'
import type { PolicyAttributes } from './protocol'
import type { VerdictKind, VerdictReason } from '#shared/types/policyd'

/**
 * Pure policy decisions: request attributes + the sender's effective limits (+ the day's count
 * before this message) → the action Postfix gets. No I/O here, so every limit and boundary is
 * unit-tested without a daemon, and the benchmark's expected reject count follows from the same rules.
 *
 * Stages (what the reconciler must wire, see README "Policy daemon"):
 * - RCPT (smtpd_recipient_restrictions): sending enabled, TLS, the SIZE= the client declared, and
 *   the daily count already at the limit → refused before DATA, so the message over the limit is
 *   refused at SMTP time without being transferred. Nothing is counted here: a message has one
 *   RCPT request per recipient.
 * - END-OF-MESSAGE (smtpd_end_of_data_restrictions): the real size and recipient count are known;
 *   the message is counted here, once, atomically, and refused if that count is no longer free (two
 *   messages racing for the last slot, or another node's).
 */

export interface Verdict {
  kind: VerdictKind
  reason: VerdictReason
  /** The text after `action=`: `DUNNO`, or an SMTP code, enhanced status code and a sentence for the user. */
  action: string
}

/** The protocol states the daemon acts on; any other state (CONNECT, HELO, VRFY, ETRN…) is DUNNO. */
export type Stage = 'count' | 'check' | 'ignore'

const DAY_MS = 86_400_000

const dunno = (reason: VerdictReason): Verdict => ({ kind: 'dunno', reason, action: 'DUNNO' })

/** Postfix sends numbers as decimal text; anything else counts as absent (0). */
function numberAttr(value: string | undefined): number {
  if (!value || !/^\d{1,15}$/.test(value)) return 0
  return Number(value)
}

/** `2026-11-26`: the key of a daily counter. The day turns at 00:00 UTC. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10)
}

/** "3 h 12 min" until the next 00:00 UTC (at least 1 min, so the text never says 0). */
function untilMidnight(now: Date): string {
  const minutes = Math.max(1, Math.ceil((DAY_MS - (now.getTime() % DAY_MS)) / 60_000))
  const h = Math.floor(minutes / 60)
  return h ? `${h} h ${minutes % 60} min` : `${minutes} min`
}

export const policy = {
  dunno,

  /** Which work a request needs: END-OF-MESSAGE counts, RCPT/MAIL/DATA check, the rest is ignored. */
  stage(attrs: PolicyAttributes): Stage {
    const state = attrs.protocol_state
    if (state === 'END-OF-MESSAGE') return 'count'
    if (state === 'RCPT' || state === 'DATA' || state === 'MAIL') return 'check'
    return 'ignore'
  },

  /** The SASL login of an authenticated sender (lower-cased as Dovecot normalises it), or undefined. */
  sender(attrs: PolicyAttributes): string | undefined {
    const login = attrs.sasl_username
    return login ? login.toLowerCase() : undefined
  },

  /**
   * Whether `login` could be a mailbox of ours at all: a local part and a domain name as the API
   * stores them. Anything else (a NUL, which PostgreSQL text cannot hold, control characters, no
   * `@`) is decided as an unknown sender without asking the database, so it can never be taken
   * for a database outage.
   */
  possibleMailbox(login: string): boolean {
    const at = login.lastIndexOf('@')
    if (at <= 0 || at > MAX_LOCAL_PART) return false
    return LOCAL_PART_RE.test(login.slice(0, at)) && DOMAIN_NAME_RE.test(login.slice(at + 1))
  },

  /** Everything except the daily count: the same at every stage, so a refusal comes as early as possible. */
  checkMessage(attrs: PolicyAttributes, limits: SenderLimits): Verdict | undefined {
    if (!limits.active) return { kind: 'reject', reason: 'mailbox_disabled', action: '550 5.7.1 This mailbox is disabled; it cannot send mail' }
    if (!limits.smtpEnabled) {
      return { kind: 'reject', reason: 'smtp_disabled', action: '550 5.7.1 Sending mail is disabled for this mailbox; ask your administrator' }
    }
    if (limits.requireTls && !attrs.encryption_protocol) {
      return { kind: 'reject', reason: 'tls_required', action: '530 5.7.0 Must issue a STARTTLS command first: this mailbox may only send over an encrypted connection' }
    }
    // At RCPT `size` is what the client declared with SIZE= (0 if it did not); at END-OF-MESSAGE the real size.
    const size = numberAttr(attrs.size)
    if (size > limits.maxMessageSize) {
      return { kind: 'reject', reason: 'message_size', action: `552 5.3.4 Message too big: ${size} bytes, this mailbox may send at most ${limits.maxMessageSize} bytes per message` }
    }
    // Non-zero only at DATA and END-OF-MESSAGE.
    const recipients = numberAttr(attrs.recipient_count)
    if (recipients > limits.maxRecipients) {
      return { kind: 'reject', reason: 'recipients', action: `550 5.5.3 Too many recipients: ${recipients}, this mailbox may address at most ${limits.maxRecipients} per message` }
    }
    return undefined
  },

  /** `countBefore` = messages already counted today, not including this one. */
  checkQuota(limits: SenderLimits, countBefore: number, now: Date): Verdict {
    const limit = limits.dailySendLimit
    if (limit > 0 && countBefore >= limit) {
      return {
        kind: 'defer',
        reason: 'daily_limit',
        action: `450 4.7.1 Daily sending limit reached: this mailbox may send ${limit} message${limit === 1 ? '' : 's'} per day; the count resets at 00:00 UTC (in ${untilMidnight(now)})`,
      }
    }
    return dunno('allowed')
  },

  /** What an authenticated sender gets while the database cannot be reached (setting policyd_fail_mode). */
  failVerdict(mode: FailMode): Verdict {
    if (mode === 'dunno') return dunno('database_unavailable')
    return { kind: 'defer', reason: 'database_unavailable', action: '451 4.3.0 Sending limits cannot be checked right now; try again later' }
  },
}

export type { SenderLimits }
