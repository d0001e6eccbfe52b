import type { SecuritySettingsUpdate } from '#shared/schemas/security'
import { useDb } from '../../utils/db'

export interface SecuritySettingsRow {
  admin_login_whitelist: string[]
  api_key_whitelist: string[]
  login_rate_limit: number
  api_rate_limit: number
  trusted_proxies: string[]
  webhook_allowed_ranges: string[]
}

const columns = ['admin_login_whitelist', 'api_key_whitelist', 'login_rate_limit', 'api_rate_limit', 'trusted_proxies', 'webhook_allowed_ranges'] as const

export const securityDb = {
  async get(): Promise<SecuritySettingsRow> {
    const sql = useDb()
    const [row] = await sql<SecuritySettingsRow[]>`SELECT ${sql(columns)} FROM security_settings`
    return row!
  },

  async update(changes: Omit<SecuritySettingsUpdate, 'confirm_lockout'>): Promise<SecuritySettingsRow> {
    const sql = useDb()
    const [row] = await sql<SecuritySettingsRow[]>`UPDATE security_settings SET ${sql(changes)}, updated_at = now() RETURNING ${sql(columns)}`
    return row!
  },
}
