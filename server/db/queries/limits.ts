import type { LimitOverrides, Limits } from '#shared/schemas/limits'
import { LIMIT_KEYS } from '#shared/schemas/limits'
import { useDb } from '#server/db/use'
import type { EffectiveLimits } from '#shared/types/directory'

type OverrideTable = 'domains' | 'mailboxes'

/** The three configuration tiers: server_settings (one row), then nullable columns on domains and mailboxes. */
export const limitsDb = {
  async getServer(): Promise<Limits> {
    const sql = useDb()
    const [row] = await sql<Limits[]>`SELECT ${sql(LIMIT_KEYS)} FROM server_settings`
    return row!
  },

  async updateServer(changes: Partial<Limits>): Promise<Limits> {
    const sql = useDb()
    const [row] = await sql<Limits[]>`UPDATE server_settings SET ${sql(changes)}, updated_at = now() RETURNING ${sql(LIMIT_KEYS)}`
    return row!
  },

  async getOverrides(table: OverrideTable, id: number): Promise<LimitOverrides | undefined> {
    const sql = useDb()
    const [row] = await sql<LimitOverrides[]>`SELECT ${sql(LIMIT_KEYS)} FROM ${sql(table)} WHERE id = ${id}`
    return row
  },

  async updateOverrides(table: OverrideTable, id: number, changes: Partial<LimitOverrides>): Promise<LimitOverrides | undefined> {
    const sql = useDb()
    const [row] = await sql<LimitOverrides[]>`
      UPDATE ${sql(table)} SET ${sql(changes)}, updated_at = now() WHERE id = ${id} RETURNING ${sql(LIMIT_KEYS)}`
    return row
  },

  /** A mailbox's effective limits and the tier each came from (the mailbox_limits view: the rule lives there). */
  async effective(mailboxId: number): Promise<EffectiveLimits | undefined> {
    const sql = useDb()
    const pairs = LIMIT_KEYS.map(key => sql`${key}::text, json_build_object('value', ${sql(key)}, 'source', ${sql(`${key}_source`)})`)
    const [row] = await sql<{ limits: EffectiveLimits }[]>`
      SELECT json_build_object(${pairs.flatMap((p, i) => (i ? [sql`,`, p] : [p]))}) AS limits
      FROM mailbox_limits WHERE mailbox_id = ${mailboxId}`
    return row?.limits
  },
}
