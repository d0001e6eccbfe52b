import type { Fragment, Sql } from 'postgres'
import { useDb } from '#server/db/use'
import { apiErrors } from '#server/utils/errors'
import { lockAddress } from './address-lock'
import { mailboxLayout, spansFor } from './mailbox-layout'
import { cappedCount, containsPattern, type SearchTotal, withTermPlans } from './search'
import type { Mailbox } from '#shared/types/directory'
import type { ListPage, Page } from '#shared/types/list'

export interface MailboxFilter {
  domainId?: number
  search?: string
  /** Bulk actions only: these mailboxes (the list endpoint never sends it). */
  ids?: number[]
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

/**
 * Timestamps leave PostgreSQL already in the API's ISO 8601 form (as Date#toJSON writes them): lists
 * are the hot path, and parsing then re-serializing two Dates per row was a sixth of their CPU.
 */
const isoTime = (sql: Sql, column: Fragment) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** `table` is `mailboxes`, or the CTE of just-deleted rows. */
const select = (sql: Sql, extra: Fragment = sql``) => sql`
  SELECT m.id, m.domain_id, d.name AS domain, m.username, m.address, m.name,
         e.quota_mb, m.active,
         ${isoTime(sql, sql`m.created_at`)} AS created_at, ${isoTime(sql, sql`m.updated_at`)} AS updated_at ${extra}
  FROM mailboxes m JOIN domains d ON d.id = m.domain_id JOIN mailbox_limits e ON e.mailbox_id = m.id`

/**
 * `WHERE …` over `mailboxes m` for a filter: the search a case-insensitive substring of the address or
 * the name (`%` and `_` literal), AND the domain, AND the ids. The list and the bulk actions share it,
 * so "all matching" means exactly the rows the list shows. An empty filter matches every row.
 */
export function mailboxFilterWhere(sql: Sql, filter: MailboxFilter): Fragment {
  const pattern = filter.search ? containsPattern(filter.search) : undefined
  return sql`WHERE true
    ${pattern === undefined ? sql`` : sql`AND (m.address ILIKE ${pattern} OR m.name ILIKE ${pattern})`}
    ${filter.domainId === undefined ? sql`` : sql`AND m.domain_id = ${filter.domainId}`}
    ${filter.ids === undefined ? sql`` : sql`AND m.id = ANY (${filter.ids}::int[])`}`
}

/**
 * Filtered lists (by search and/or domain): ids of one page in address order, plus the total. A search
 * is served by the trigram indexes on `address` and `name` (migration 0018) and its total is capped.
 */
async function pageIds(sql: Sql, page: Page, filter: MailboxFilter): Promise<{ ids: Fragment, total: Promise<SearchTotal | { total: number }> }> {
  const offset = (page.page - 1) * page.limit
  if (filter.search) {
    const where = mailboxFilterWhere(sql, { search: filter.search, domainId: filter.domainId })
    return {
      ids: sql`SELECT m.id FROM mailboxes m JOIN domains d ON d.id = m.domain_id ${where}
               ORDER BY d.name, m.username LIMIT ${page.limit} OFFSET ${offset}`,
      total: cappedCount(sql, sql`mailboxes m ${where}`),
    }
  }
  // One domain: walks the (domain_id, username) unique index; the total is the trigger-kept count.
  return {
    ids: sql`SELECT id FROM mailboxes WHERE domain_id = ${filter.domainId!} ORDER BY username LIMIT ${page.limit} OFFSET ${offset}`,
    total: sql<{ n: number }[]>`SELECT coalesce(max(mailbox_count), 0)::int AS n FROM domains WHERE id = ${filter.domainId!}`
      .then(r => ({ total: r[0]!.n })),
  }
}

// Under constant churn each attempt may see a newer version; after this many, serve what we have.
const LAYOUT_ATTEMPTS = 4

/**
 * Unfiltered pages: the cached layout (running sums of per-domain counts) says which domains the
 * page spans and where in each it starts, so a deep page is a few index probes, not an OFFSET over
 * the table. The same statement returns the list version, proving the layout still holds.
 */
async function unfilteredPage(sql: Sql, page: Page): Promise<ListPage<Mailbox>> {
  const offset = (page.page - 1) * page.limit
  let layout = mailboxLayout.current() ?? await mailboxLayout.load(sql)
  for (let attempt = 1; ; attempt++) {
    const { domainIds, offsets } = spansFor(layout, offset, page.limit)
    const rows = await sql<(Mailbox & { list_version?: string })[]>`
      WITH page AS (
        SELECT m.id FROM unnest(${domainIds}::int[], ${offsets}::int[]) WITH ORDINALITY AS s(domain_id, skip, ord)
        CROSS JOIN LATERAL (
          SELECT id, username FROM mailboxes WHERE domain_id = s.domain_id ORDER BY username OFFSET s.skip LIMIT ${page.limit}
        ) m
        ORDER BY s.ord, m.username LIMIT ${page.limit})
      ${select(sql, sql`, (SELECT version::text FROM mailbox_list_version) AS list_version`)}
      JOIN page ON page.id = m.id ORDER BY d.name, m.username`
    const version = rows[0]?.list_version ?? (await sql<{ v: string }[]>`SELECT version::text AS v FROM mailbox_list_version`)[0]!.v
    if (version === layout.version || attempt === LAYOUT_ATTEMPTS) {
      for (const row of rows) delete row.list_version
      return { rows, total: layout.total }
    }
    layout = await mailboxLayout.load(sql)
  }
}

export const mailboxesDb = {
  async list(page: Page, filter: MailboxFilter): Promise<ListPage<Mailbox>> {
    const sql = useDb()
    if (filter.search === undefined && filter.domainId === undefined) return unfilteredPage(sql, page)
    return withTermPlans(sql, filter.search, async (q) => {
      const { ids, total } = await pageIds(q, page, filter)
      const [rows, count] = await Promise.all([
        q<Mailbox[]>`WITH page AS (${ids}) ${select(q)} JOIN page ON page.id = m.id ORDER BY d.name, m.username`,
        total,
      ])
      return { rows, ...count }
    })
  },

  async get(id: number): Promise<Mailbox | undefined> {
    const sql = useDb()
    const [row] = await sql<Mailbox[]>`${select(sql)} WHERE m.id = ${id}`
    return row
  },

  /** 409 ALIAS_EXISTS when an alias has that address: the alias would keep taking the mailbox's mail. */
  async create(input: MailboxInsert): Promise<Mailbox> {
    const id = await useDb().begin(async (tx) => {
      if ((await lockAddress(tx, input.domainId, input.username)).alias) {
        throw apiErrors.exists('ALIAS', 'username: an alias with that address exists; delete the alias first, then create the mailbox.')
      }
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO mailboxes (domain_id, username, password, name, quota_mb, active)
        VALUES (${input.domainId}, ${input.username}, ${input.passwordHash}, ${input.name ?? ''}, ${input.quotaMb ?? null}, ${input.active ?? true})
        RETURNING id`
      return row!.id
    })
    return (await mailboxesDb.get(id))!
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

  /** Rows by id in address order (the webhook payloads of an import). */
  async getMany(ids: number[]): Promise<Mailbox[]> {
    const sql = useDb()
    return sql<Mailbox[]>`${select(sql)} WHERE m.id = ANY (${ids}::int[]) ORDER BY d.name, m.username`
  },

  /** Bulk dry run: how many mailboxes match, and how many of them are active (exact counts, not capped). */
  async countMatching(filter: MailboxFilter): Promise<{ matched: number, active: number }> {
    const sql = useDb()
    const [row] = await sql<{ matched: number, active: number }[]>`
      SELECT count(*)::int AS matched, count(*) FILTER (WHERE m.active)::int AS active FROM mailboxes m ${mailboxFilterWhere(sql, filter)}`
    return row!
  },

  /** Sets `active` on every matching mailbox that differs, in one statement → how many changed. */
  async setActiveMatching(filter: MailboxFilter, active: boolean): Promise<number> {
    const sql = useDb()
    const rows = await sql`
      UPDATE mailboxes m SET active = ${active}, updated_at = now()
      ${mailboxFilterWhere(sql, filter)} AND m.active <> ${active} RETURNING m.id`
    return rows.length
  },

  /**
   * Deletes every matching mailbox in one statement (all or none). With `rows` the deleted mailboxes
   * come back as GET showed them (for the webhooks), else only their number.
   */
  async removeMatching(filter: MailboxFilter, rows: boolean): Promise<{ count: number, rows: Mailbox[] }> {
    const sql = useDb()
    const where = mailboxFilterWhere(sql, filter)
    if (!rows) {
      const gone = await sql`DELETE FROM mailboxes m ${where} RETURNING m.id`
      return { count: gone.length, rows: [] }
    }
    const deleted = await sql<Mailbox[]>`
      WITH doomed AS (${select(sql)} ${where}),
           gone AS (DELETE FROM mailboxes WHERE id IN (SELECT id FROM doomed) RETURNING id)
      SELECT doomed.* FROM doomed JOIN gone ON gone.id = doomed.id ORDER BY doomed.domain, doomed.username`
    return { count: deleted.length, rows: deleted }
  },

  async remove(id: number): Promise<Mailbox | undefined> {
    const sql = useDb()
    const [row] = await sql<Mailbox[]>`
      WITH doomed AS (${select(sql)} WHERE m.id = ${id}),
           gone AS (DELETE FROM mailboxes WHERE id = ${id} RETURNING id)
      SELECT doomed.* FROM doomed JOIN gone ON gone.id = doomed.id`
    return row
  },
}
