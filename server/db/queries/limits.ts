import type { LimitOverrides, Limits } from '#shared/schemas/limits'
import { LIMIT_KEYS } from '#shared/schemas/limits'
import { useDb } from '../../utils/db'

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

  /** All three tiers for one mailbox in one round trip. */
  async tiersForMailbox(mailboxId: number): Promise<{ server: Limits, domain: LimitOverrides, mailbox: LimitOverrides } | undefined> {
    const sql = useDb()
    const [row] = await sql<{ server: Limits, domain: LimitOverrides, mailbox: LimitOverrides }[]>`
      SELECT to_jsonb(s) AS server, to_jsonb(d) AS domain, to_jsonb(m) AS mailbox
      FROM (SELECT ${sql(LIMIT_KEYS)} FROM server_settings) s,
           mailboxes mb
           JOIN LATERAL (SELECT ${sql(LIMIT_KEYS)} FROM domains WHERE id = mb.domain_id) d ON true
           JOIN LATERAL (SELECT ${sql(LIMIT_KEYS)} FROM mailboxes WHERE id = mb.id) m ON true
      WHERE mb.id = ${mailboxId}`
    return row
  },
}
