import type { DomainCreate, DomainUpdate } from '#shared/schemas/domain'
import { useDb } from '#server/db/use'
import { cappedCount, containsPattern, withTermPlans } from './search'
import type { Domain } from '#shared/types/directory'
import type { ListPage, Page } from '#shared/types/list'

// mailbox_count and alias_count are kept by triggers (migrations 0002, 0011): reading them is free.
const columns = ['id', 'name', 'description', 'active', 'mailbox_count', 'alias_count', 'created_at', 'updated_at'] as const

export const domainsDb = {
  /** A search is served by the trigram index on the name (migration 0018). */
  async list(page: Page, search?: string): Promise<ListPage<Domain>> {
    return withTermPlans(useDb(), search, async (sql) => {
      const where = search ? sql`WHERE name ILIKE ${containsPattern(search)}` : sql``
      const [rows, count] = await Promise.all([
        sql<Domain[]>`SELECT ${sql(columns)} FROM domains ${where} ORDER BY name LIMIT ${page.limit} OFFSET ${(page.page - 1) * page.limit}`,
        search
          ? cappedCount(sql, sql`domains ${where}`)
          : sql<{ total: number }[]>`SELECT count(*)::int AS total FROM domains`.then(r => r[0]!),
      ])
      return { rows, ...count }
    })
  },

  async get(id: number): Promise<Domain | undefined> {
    const sql = useDb()
    const [row] = await sql<Domain[]>`SELECT ${sql(columns)} FROM domains WHERE id = ${id}`
    return row
  },

  async create(input: DomainCreate): Promise<Domain> {
    const sql = useDb()
    const [row] = await sql<Domain[]>`
      INSERT INTO domains (name, description, active)
      VALUES (${input.name}, ${input.description ?? ''}, ${input.active ?? true})
      RETURNING ${sql(columns)}`
    return row!
  },

  async update(id: number, input: DomainUpdate): Promise<Domain | undefined> {
    const sql = useDb()
    const [row] = await sql<Domain[]>`
      UPDATE domains SET ${sql(input)}, updated_at = now() WHERE id = ${id} RETURNING ${sql(columns)}`
    return row
  },

  /** Deletes the domain; its mailboxes and aliases go with it (ON DELETE CASCADE). Counts are pre-delete. */
  async remove(id: number): Promise<(Domain & { mailboxes: number, aliases: number }) | undefined> {
    const sql = useDb()
    const [row] = await sql<(Domain & { mailboxes: number, aliases: number })[]>`
      WITH gone AS (DELETE FROM domains WHERE id = ${id} RETURNING ${sql(columns)})
      SELECT gone.*,
        (SELECT count(*)::int FROM mailboxes WHERE domain_id = ${id}) AS mailboxes,
        (SELECT count(*)::int FROM aliases WHERE domain_id = ${id}) AS aliases
      FROM gone`
    return row
  },
}
