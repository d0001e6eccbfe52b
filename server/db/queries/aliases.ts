import type { Fragment, Sql } from 'postgres'
import type { AliasUpdate } from '#shared/schemas/alias'
import { useDb } from '#server/db/use'
import { apiErrors } from '#server/utils/errors'
import { lockAddress } from './address-lock'
import { cappedCount, containsPattern, withTermPlans } from './search'
import type { Alias } from '#shared/types/directory'
import type { ListPage, Page } from '#shared/types/list'

export interface AliasFilter {
  domainId?: number
  search?: string
}

/** `table` is `aliases`, or the CTE of just-deleted rows. */
const columns = (sql: Sql, table: Fragment) => sql`
  SELECT a.id, a.domain_id, d.name AS domain, a.address AS source, a.destinations, a.active,
         a.created_at, a.updated_at
  FROM ${table} a JOIN domains d ON d.id = a.domain_id`

export const aliasesDb = {
  /** A search is served by the trigram indexes on the source address and the destinations (migration 0018). */
  async list(page: Page, filter: AliasFilter): Promise<ListPage<Alias>> {
    return withTermPlans(useDb(), filter.search, async (sql) => {
      const parts = []
      if (filter.domainId !== undefined) parts.push(sql`a.domain_id = ${filter.domainId}`)
      if (filter.search) {
        const pattern = containsPattern(filter.search)
        // The joined destinations only find candidates for the index; each one is then checked alone.
        parts.push(sql`(a.address ILIKE ${pattern} OR (alias_destinations_text(a.destinations) ILIKE ${pattern}
          AND EXISTS (SELECT 1 FROM unnest(a.destinations) dest WHERE dest ILIKE ${pattern})))`)
      }
      const where = parts.length ? sql`WHERE ${parts.reduce((acc, p) => sql`${acc} AND ${p}`)}` : sql``
      const [rows, count] = await Promise.all([
        sql<Alias[]>`${columns(sql, sql`aliases`)} ${where} ORDER BY a.id LIMIT ${page.limit} OFFSET ${(page.page - 1) * page.limit}`,
        filter.search
          ? cappedCount(sql, sql`aliases a ${where}`)
          : sql<{ total: number }[]>`SELECT count(*)::int AS total FROM aliases a ${where}`.then(r => r[0]!),
      ])
      return { rows, ...count }
    })
  },

  async get(id: number): Promise<Alias | undefined> {
    const sql = useDb()
    const [row] = await sql<Alias[]>`${columns(sql, sql`aliases`)} WHERE a.id = ${id}`
    return row
  },

  /** 409 MAILBOX_EXISTS when a mailbox has that address: an alias would silently take its mail. */
  async create(domainId: number, localPart: string, destinations: string[], active = true): Promise<Alias> {
    const id = await useDb().begin(async (tx) => {
      if ((await lockAddress(tx, domainId, localPart)).mailbox) {
        throw apiErrors.exists('MAILBOX', 'source: a mailbox with that address exists; an alias may not shadow it (delete the mailbox, or forward from the mailbox instead).')
      }
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO aliases (domain_id, local_part, destinations, active)
        VALUES (${domainId}, ${localPart}, ${destinations}, ${active}) RETURNING id`
      return row!.id
    })
    return (await aliasesDb.get(id))!
  },

  async update(id: number, changes: AliasUpdate): Promise<boolean> {
    const sql = useDb()
    const rows = await sql`UPDATE aliases SET ${sql(changes)}, updated_at = now() WHERE id = ${id} RETURNING id`
    return rows.length > 0
  },

  async remove(id: number): Promise<Alias | undefined> {
    const sql = useDb()
    const [row] = await sql<Alias[]>`
      WITH gone AS (DELETE FROM aliases WHERE id = ${id} RETURNING *)
      ${columns(sql, sql`gone`)}`
    return row
  },
}
