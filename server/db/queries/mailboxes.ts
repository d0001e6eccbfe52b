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

/** Ids of one page, in address order (domain name, then local part), plus the total. */
async function pageIds(sql: Sql, page: Page, filter: MailboxFilter): Promise<{ ids: Fragment, total: Promise<number> }> {
  const offset = (page.page - 1) * page.limit
  if (filter.search) {
    const pattern = containsPattern(filter.search)
    const where = sql`WHERE (m.username || '@' || d.name ILIKE ${pattern} OR m.name ILIKE ${pattern})
      ${filter.domainId === undefined ? sql`` : sql`AND m.domain_id = ${filter.domainId}`}`
    return {
      ids: sql`SELECT m.id FROM mailboxes m JOIN domains d ON d.id = m.domain_id ${where}
               ORDER BY d.name, m.username LIMIT ${page.limit} OFFSET ${offset}`,
      total: sql<{ n: number }[]>`SELECT count(*)::int AS n FROM mailboxes m JOIN domains d ON d.id = m.domain_id ${where}`.then(r => r[0]!.n),
    }
  }
  if (filter.domainId !== undefined) {
    // Walks the (domain_id, username) unique index; the total is the trigger-kept count.
    return {
      ids: sql`SELECT id FROM mailboxes WHERE domain_id = ${filter.domainId} ORDER BY username LIMIT ${page.limit} OFFSET ${offset}`,
      total: sql<{ n: number }[]>`SELECT coalesce(max(mailbox_count), 0)::int AS n FROM domains WHERE id = ${filter.domainId}`.then(r => r[0]!.n),
    }
  }
  // Unfiltered: a running sum of per-domain counts finds the domains this page spans, so a deep
  // page costs one pass over the domains plus an index probe per spanned domain, not OFFSET rows.
  return {
    ids: sql`
      SELECT m.id FROM (
        SELECT id, name, sum(mailbox_count) OVER (ORDER BY name) - mailbox_count AS before, mailbox_count FROM domains
      ) span
      CROSS JOIN LATERAL (
        SELECT id, username FROM mailboxes WHERE domain_id = span.id ORDER BY username
        OFFSET greatest(${offset} - span.before, 0) LIMIT ${page.limit}
      ) m
      WHERE span.before + span.mailbox_count > ${offset} AND span.before < ${offset + page.limit}
      ORDER BY span.name, m.username LIMIT ${page.limit}`,
    total: sql<{ n: number }[]>`SELECT coalesce(sum(mailbox_count), 0)::int AS n FROM domains`.then(r => r[0]!.n),
  }
}

export const mailboxesDb = {
  async list(page: Page, filter: MailboxFilter): Promise<{ rows: MailboxRow[], total: number }> {
    const sql = useDb()
    const { ids, total } = await pageIds(sql, page, filter)
    const [rows, count] = await Promise.all([
      sql<MailboxRow[]>`WITH page AS (${ids}) ${select(sql, sql`mailboxes`)} JOIN page ON page.id = m.id ORDER BY d.name, m.username`,
      total,
    ])
    return { rows, total: count }
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
