import type { SecuritySettingsUpdate } from '#shared/schemas/security'
import { useDb } from '#server/db/use'
import type { SecuritySettings as SecuritySettingsRow } from '#shared/types/access'

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
