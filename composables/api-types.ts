import type { LimitKey, Limits } from '#shared/schemas/limits'
import type { FailMode } from '#shared/schemas/policyd'

/** Response shapes of the v1 API (SPEC §2a); request shapes come from the valibot schemas in shared/schemas. */
export interface ListResponse<T> {
  data: T[]
  meta: { page: number, limit: number, total: number }
}

export interface MessageResponse {
  message: string
  id?: number
}

export interface Me {
  kind: 'session' | 'api_key' | 'token'
  name: string
}

export interface Domain {
  id: number
  name: string
  description: string
  active: boolean
  created_at: string
}

export interface Mailbox {
  id: number
  domain_id: number
  domain: string
  username: string
  address: string
  name: string
  quota_mb: number
  active: boolean
  created_at: string
}

export interface Alias {
  id: number
  domain_id: number
  source: string
  destinations: string[]
  active: boolean
}

export type LimitOverrides = { [K in LimitKey]: Limits[K] | null }
export type EffectiveLimits = { [K in LimitKey]: { value: Limits[K], source: 'server' | 'domain' | 'mailbox' } }

export interface Token {
  id: number
  name: string
  prefix: string
  created_at: string
  last_used_at: string | null
}

export interface Webhook {
  id: number
  url: string
  events: string[]
  created_at: string
  last_delivery_at: string | null
  last_status: string | null
  last_error: string | null
}

export interface AuditEntry {
  time: string
  actor: string
  action: string
  target: string
  ip: string
  status: number
}

export interface SecuritySettings {
  admin_login_whitelist: string[]
  api_key_whitelist: string[]
  login_rate_limit: number
  api_rate_limit: number
  trusted_proxies: string[]
  webhook_allowed_ranges: string[]
}

export interface About {
  version: string
  build: string
  os: string
  postfix: string
  dovecot: string
  hostname: string
  mail_hostname: string
}

/** GET /api/v1/certificates: metadata only (never a key); `active` is the one Postfix, Dovecot and the panel serve. */
export interface Certificate {
  id: number
  hostname: string
  source: 'self-signed' | 'upload' | 'certbot'
  subject: string
  san: string[]
  issuer: string
  fingerprint_sha256: string
  not_before: string
  not_after: string
  created_at: string
  active: boolean
  /** Whole days left, negative once expired. */
  expires_in_days: number
}

export interface PolicydUsageRow {
  mailbox_id: number
  address: string
  sent: number
  /** The effective daily limit (0 = unlimited). */
  daily_send_limit: number
}

/** GET /api/v1/policyd/status: this process's listener and counters, and today's usage from the database. */
export interface PolicydStatus {
  listening: boolean
  listen: string
  address: string | null
  port: number | null
  error: string | null
  fail_mode: FailMode
  connections: { current: number, total: number, max: number, closed_idle: number, refused: number }
  requests: { total: number, protocol_errors: number, timeouts: number }
  decisions: Record<'dunno' | 'reject' | 'defer', number>
  reasons: Record<string, number>
  cached_senders: number
  /** `top`: the busiest mailboxes today (at most USAGE_TOP), busiest first. */
  usage: { day: string, mailboxes: number, messages: number, top: PolicydUsageRow[] }
}
