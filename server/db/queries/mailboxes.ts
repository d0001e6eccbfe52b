import type { Fragment, Sql } from 'postgres'
import { useDb } from '../../utils/db'
import type { Page } from '../../utils/respond'
import { containsPattern } from './like'

/** The API's mailbox: never the password. `quota_mb` is the effective quota (own, else domain's, else server's). */
export interface MailboxRow {
  id: number
  domain_id: number
  domain: string
  username: string
  address: string
  name: string
  quota_mb: number
  active: boolean
  created_at: Date
  updated_at: Date
}

export interface MailboxFilter {
  domainId?: number
  search?: string
}

export interface MailboxInsert {
  domainId: number
  username: string
  passwordHash: string
  name?: string
  quotaMb?: number | null
  active?: boolean
}

export interface MailboxChanges {
  name?: string
  quota_mb?: number | null
  active?: boolean
}

/** `table` is `mailboxes`, or the CTE of just-deleted rows. */
const select = (sql: Sql, table: Fragment) => sql`
  SELECT m.id, m.domain_id, d.name AS domain, m.username, m.username || '@' || d.name AS address, m.name,
         coalesce(m.quota_mb, d.quota_mb, s.quota_mb) AS quota_mb, m.active, m.created_at, m.updated_at
  FROM ${table} m JOIN domains d ON d.id = m.domain_id CROSS JOIN server_settings s`

function whereClause(sql: Sql, filter: MailboxFilter) {
  const parts = []
  if (filter.domainId !== undefined) parts.push(sql`m.domain_id = ${filter.domainId}`)
  if (filter.search) {
    const pattern = containsPattern(filter.search)
    parts.push(sql`(m.username || '@' || d.name ILIKE ${pattern} OR m.name ILIKE ${pattern})`)
  }
  if (!parts.length) return sql``
  return sql`WHERE ${parts.reduce((acc, part) => sql`${acc} AND ${part}`)}`
}

export const mailboxesDb = {
  /**
   * Newest-first would make deep pages shift while mail admins page through; id order is stable.
   * The page's ids come from an index-only scan, then only those rows are joined (a deferred join).
   */
  async list(page: Page, filter: MailboxFilter): Promise<{ rows: MailboxRow[], total: number }> {
    const sql = useDb()
    const offset = (page.page - 1) * page.limit
    const where = whereClause(sql, filter)
    const needsJoin = Boolean(filter.search)
    const from = needsJoin ? sql`mailboxes m JOIN domains d ON d.id = m.domain_id` : sql`mailboxes m`
    const [rows, [count]] = await Promise.all([
      sql<MailboxRow[]>`
        WITH page AS (SELECT m.id FROM ${from} ${where} ORDER BY m.id LIMIT ${page.limit} OFFSET ${offset})
        ${select(sql, sql`mailboxes`)} JOIN page ON page.id = m.id ORDER BY m.id`,
      sql<{ total: number }[]>`SELECT count(*)::int AS total FROM ${from} ${where}`,
    ])
    return { rows, total: count!.total }
  },

  async get(id: number): Promise<MailboxRow | undefined> {
    const sql = useDb()
    const [row] = await sql<MailboxRow[]>`${select(sql, sql`mailboxes`)} WHERE m.id = ${id}`
    return row
  },

  async create(input: MailboxInsert): Promise<MailboxRow> {
    const sql = useDb()
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO mailboxes (domain_id, username, password, name, quota_mb, active)
      VALUES (${input.domainId}, ${input.username}, ${input.passwordHash}, ${input.name ?? ''}, ${input.quotaMb ?? null}, ${input.active ?? true})
      RETURNING id`
    return (await mailboxesDb.get(row!.id))!
  },

  async update(id: number, changes: MailboxChanges): Promise<boolean> {
    const sql = useDb()
    const rows = await sql`UPDATE mailboxes SET ${sql(changes)}, updated_at = now() WHERE id = ${id} RETURNING id`
    return rows.length > 0
  },

  async setPassword(id: number, passwordHash: string): Promise<boolean> {
    const sql = useDb()
    const rows = await sql`UPDATE mailboxes SET password = ${passwordHash}, updated_at = now() WHERE id = ${id} RETURNING id`
    return rows.length > 0
  },

  async remove(id: number): Promise<MailboxRow | undefined> {
    const sql = useDb()
    const [row] = await sql<MailboxRow[]>`
      WITH gone AS (DELETE FROM mailboxes WHERE id = ${id} RETURNING *)
      ${select(sql, sql`gone`)}`
    return row
  },
}
