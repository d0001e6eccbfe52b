import { ANTISPAM_SETTING_KEYS, type AntispamSettingsRow, type WhitelistCreate } from '#shared/schemas/antispam'
import { useDb } from '#server/db/use'
import type { WhitelistEntry, WhitelistKind } from '#shared/types/antispam'

type Row = Omit<WhitelistEntry, 'created_at'> & { created_at: Date }
const entry = (r: Row): WhitelistEntry => ({ ...r, id: Number(r.id), created_at: r.created_at.toISOString() })

export const antispamDb = {
  async getSettings(): Promise<AntispamSettingsRow> {
    const sql = useDb()
    const [row] = await sql<AntispamSettingsRow[]>`SELECT ${sql(ANTISPAM_SETTING_KEYS)} FROM antispam_settings`
    return row!
  },

  /** Any subset of the settings (already validated); one UPDATE, so nothing is half-written. */
  async updateSettings(changes: Partial<AntispamSettingsRow>): Promise<void> {
    const sql = useDb()
    const keys = Object.keys(changes) as (keyof AntispamSettingsRow)[]
    await sql`UPDATE antispam_settings SET ${sql(changes, keys)}, updated_at = now()`
  },

  /** Every whitelist entry, as the reconciler renders them. */
  async whitelistForRender(): Promise<{ kind: WhitelistKind, value: string }[]> {
    const sql = useDb()
    return sql<{ kind: WhitelistKind, value: string }[]>`SELECT kind, value FROM spam_whitelist ORDER BY kind, value`
  },

  async listWhitelist(): Promise<WhitelistEntry[]> {
    const sql = useDb()
    return (await sql<Row[]>`SELECT id, kind, value, comment, created_at FROM spam_whitelist ORDER BY kind, value`).map(entry)
  },

  /** A duplicate (same kind and canonical value) fails on spam_whitelist_kind_value_key: a 409. */
  async addToWhitelist(input: WhitelistCreate): Promise<WhitelistEntry> {
    const sql = useDb()
    const [row] = await sql<Row[]>`INSERT INTO spam_whitelist (kind, value, comment) VALUES (${input.kind}, ${input.value}, ${input.comment})
      RETURNING id, kind, value, comment, created_at`
    return entry(row!)
  },

  async removeFromWhitelist(id: number): Promise<WhitelistEntry | undefined> {
    const sql = useDb()
    const [row] = await sql<Row[]>`DELETE FROM spam_whitelist WHERE id = ${id} RETURNING id, kind, value, comment, created_at`
    return row && entry(row)
  },
}
