import type { DomainCreate, DomainUpdate } from '#shared/schemas/domain'
import { useDb } from '../../utils/db'
import type { Page } from '../../utils/respond'
import { containsPattern } from './like'

export interface DomainRow {
  id: number
  name: string
  description: string
  active: boolean
  created_at: Date
  updated_at: Date
}

const columns = ['id', 'name', 'description', 'active', 'created_at', 'updated_at'] as const

export const domainsDb = {
  async list(page: Page, search?: string): Promise<{ rows: DomainRow[], total: number }> {
    const sql = useDb()
    const where = search ? sql`WHERE name ILIKE ${containsPattern(search)}` : sql``
    const [rows, [count]] = await Promise.all([
      sql<DomainRow[]>`SELECT ${sql(columns)} FROM domains ${where} ORDER BY name LIMIT ${page.limit} OFFSET ${(page.page - 1) * page.limit}`,
      sql<{ total: number }[]>`SELECT count(*)::int AS total FROM domains ${where}`,
    ])
    return { rows, total: count!.total }
  },

  async get(id: number): Promise<DomainRow | undefined> {
    const sql = useDb()
    const [row] = await sql<DomainRow[]>`SELECT ${sql(columns)} FROM domains WHERE id = ${id}`
    return row
  },

  async create(input: DomainCreate): Promise<DomainRow> {
    const sql = useDb()
    const [row] = await sql<DomainRow[]>`
      INSERT INTO domains (name, description, active)
      VALUES (${input.name}, ${input.description ?? ''}, ${input.active ?? true})
      RETURNING ${sql(columns)}`
    return row!
  },

  async update(id: number, input: DomainUpdate): Promise<DomainRow | undefined> {
    const sql = useDb()
    const [row] = await sql<DomainRow[]>`
      UPDATE domains SET ${sql(input)}, updated_at = now() WHERE id = ${id} RETURNING ${sql(columns)}`
    return row
  },

  /** Deletes the domain; its mailboxes and aliases go with it (ON DELETE CASCADE). Counts are pre-delete. */
  async remove(id: number): Promise<(DomainRow & { mailboxes: number, aliases: number }) | undefined> {
    const sql = useDb()
    const [row] = await sql<(DomainRow & { mailboxes: number, aliases: number })[]>`
      WITH gone AS (DELETE FROM domains WHERE id = ${id} RETURNING ${sql(columns)})
      SELECT gone.*,
        (SELECT count(*)::int FROM mailboxes WHERE domain_id = ${id}) AS mailboxes,
        (SELECT count(*)::int FROM aliases WHERE domain_id = ${id}) AS aliases
      FROM gone`
    return row
  },
}
