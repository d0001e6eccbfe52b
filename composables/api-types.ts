import type { LimitKey, Limits } from '#shared/schemas/limits'

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
