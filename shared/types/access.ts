// Who may call the API, and what they did: GET /me, tokens, security settings, the audit log.

/** GET /api/v1/me: how the caller authenticated and as whom. */
export interface Actor {
  kind: 'session' | 'api_key' | 'token'
  name: string
}

/** A managed API token: never the secret (shown once, at creation), only its prefix. */
export interface Token {
  id: number
  name: string
  prefix: string
  created_at: Date
  last_used_at: Date | null
}

/** GET /security/settings: the one settings row. */
export interface SecuritySettings {
  admin_login_whitelist: string[]
  api_key_whitelist: string[]
  login_rate_limit: number
  api_rate_limit: number
  trusted_proxies: string[]
  /** Private ranges webhook receivers may be in (default none: public addresses only). */
  webhook_allowed_ranges: string[]
}

/** One line of the audit log (SPEC §2a). Never holds request bodies, so never a secret. */
export interface AuditEntry {
  time: string
  actor: string
  action: string
  target: string
  ip: string
  status: number
}

/** GET /auth/session: the session cookie's state, without a 401 for a visitor who is not signed in. */
export type SessionState = { signed_in: false } | { signed_in: true, actor: Actor }
