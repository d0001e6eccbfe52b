// Domains, mailboxes and aliases as the v1 API returns them (never a password or hash).
import type { LimitKey, Limits } from '#shared/schemas/limits'

export interface Domain {
  id: number
  name: string
  description: string
  active: boolean
  /** Mailboxes in the domain (kept exact by a trigger). */
  mailbox_count: number
  /** Aliases in the domain, the catch-all included (kept exact by a trigger). */
  alias_count: number
  created_at: Date
  updated_at: Date
}

/** `quota_mb` is the effective quota (own, else the domain's, else the server's). */
export interface Mailbox {
  id: number
  domain_id: number
  domain: string
  username: string
  address: string
  name: string
  quota_mb: number
  active: boolean
  /** ISO 8601, UTC (formatted by the query). */
  created_at: string
  updated_at: string
}

/** `source` is the full address (`@example.com` for a catch-all). */
export interface Alias {
  id: number
  domain_id: number
  domain: string
  source: string
  destinations: string[]
  active: boolean
  created_at: Date
  updated_at: Date
}

export type LimitSource = 'server' | 'domain' | 'mailbox'
/** GET /mailboxes/:id/effective-config: each limit's value and the tier it came from. */
export type EffectiveLimits = { [K in LimitKey]: { value: Limits[K], source: LimitSource } }
