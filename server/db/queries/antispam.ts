import { ANTISPAM_SETTING_KEYS, type AntispamSettingsRow } from '#shared/schemas/antispam'
import { useDb } from '#server/db/use'
import type { WhitelistKind } from '#shared/types/antispam'

export const antispamDb = {
  async getSettings(): Promise<AntispamSettingsRow> {
    const sql = useDb()
    const [row] = await sql<AntispamSettingsRow[]>`SELECT ${sql(ANTISPAM_SETTING_KEYS)} FROM antispam_settings`
    return row!
  },

  /** Every whitelist entry, as the reconciler renders them. */
  async whitelistForRender(): Promise<{ kind: WhitelistKind, value: string }[]> {
    const sql = useDb()
    return sql<{ kind: WhitelistKind, value: string }[]>`SELECT kind, value FROM spam_whitelist ORDER BY kind, value`
  },
}
