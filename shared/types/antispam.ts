// Anti-spam settings and the whitelist as the v1 API returns them.
import type { AntispamSettingsRow } from '#shared/schemas/antispam'

export type WhitelistKind = 'ip' | 'cidr' | 'domain' | 'email'

/** An entry of spam_whitelist; `value` in its canonical spelling (lower case; a CIDR's network address). */
export interface WhitelistEntry {
  id: number
  kind: WhitelistKind
  value: string
  comment: string
  /** ISO 8601, UTC. */
  created_at: string
}

/** One anti-spam feature: what the admin wants, whether its package is there, and whether Postfix uses it. */
export interface AntispamFeatureState {
  enabled: boolean
  /** The daemon's binary is on PATH (the capability gate). */
  installed: boolean
  /** enabled and installed: the reconciler wires it into Postfix. */
  active: boolean
  /** The binary the gate looks for, and the packages that provide it (for the UI's hint). */
  binary: string
  packages: { debian: string, rhel: string | null }
}

/** GET /api/v1/config/antispam: the stored settings plus, per feature, the capability gate's verdict. */
export interface AntispamConfig extends AntispamSettingsRow {
  features: Record<'dkim' | 'dmarc' | 'spf' | 'greylist' | 'clamav' | 'spampd', AntispamFeatureState>
}
