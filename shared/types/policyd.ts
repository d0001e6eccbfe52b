// The policy daemon's verdicts and GET /api/v1/policyd/status.
import type { FailMode } from '#shared/schemas/policyd'

export type VerdictKind = 'dunno' | 'reject' | 'defer'
export type VerdictReason = 'unauthenticated' | 'unknown_sender' | 'allowed' | 'not_policy_request' | 'database_unavailable'
  | 'mailbox_disabled' | 'smtp_disabled' | 'tls_required' | 'message_size' | 'recipients' | 'daily_limit'

/** One mailbox's sending today. */
export interface PolicydUsage {
  mailbox_id: number
  address: string
  sent: number
  /** The effective daily limit (0 = unlimited). */
  daily_send_limit: number
}

/** This process's listener and counters, and today's usage from the database. */
export interface PolicydStatus {
  listening: boolean
  listen: string
  address: string | null
  port: number | null
  error: string | null
  fail_mode: FailMode
  connections: { current: number, total: number, max: number, closed_idle: number, refused: number }
  requests: { total: number, protocol_errors: number, timeouts: number }
  decisions: Record<VerdictKind, number>
  reasons: Partial<Record<VerdictReason, number>>
  cached_senders: number
  /** `top`: the busiest mailboxes today, busiest first. */
  usage: { day: string, mailboxes: number, messages: number, top: PolicydUsage[] }
}
