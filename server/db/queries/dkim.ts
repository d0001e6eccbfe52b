import type { Sql, TransactionSql } from 'postgres'
import { useDb } from '#server/db/use'
import type { DkimAlgorithm } from '#shared/types/dkim'

/** A key as stored, without its private half (which only keysForRender reads). */
export interface DkimKeyRow {
  id: number
  domain_id: number
  domain: string
  selector: string
  algorithm: DkimAlgorithm
  bits: number
  status: 'active' | 'published' | 'retired'
  public_key: string
  created_at: Date
  activated_at: Date | null
  retired_at: Date | null
}

export interface DkimKeyInsert {
  domain_id: number
  selector: string
  algorithm: DkimAlgorithm
  bits: number
  private_key: string
  public_key: string
}

const columns = (sql: Sql | TransactionSql) => sql`
  k.id::int AS id, k.domain_id, d.name AS domain, k.selector, k.algorithm, k.bits, k.status, k.public_key,
  k.created_at, k.activated_at, k.retired_at`

export const dkimDb = {
  /** The keys the reconciler writes: active ones sign; published ones only have their files kept. */
  async keysForRender(): Promise<{ domain: string, selector: string, algorithm: DkimAlgorithm, signing: boolean, private_key: string }[]> {
    const sql = useDb()
    return sql`
      SELECT d.name AS domain, k.selector, k.algorithm, k.status = 'active' AS signing, k.private_key
      FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
      WHERE k.status IN ('active', 'published')
      ORDER BY d.name, k.selector`
  },

  async list(domainId?: number): Promise<DkimKeyRow[]> {
    const sql = useDb()
    return sql<DkimKeyRow[]>`
      SELECT ${columns(sql)} FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
      ${domainId === undefined ? sql`` : sql`WHERE k.domain_id = ${domainId}`}
      ORDER BY d.name, k.algorithm, k.created_at, k.id`
  },

  async get(id: number): Promise<DkimKeyRow | undefined> {
    const sql = useDb()
    const [row] = await sql<DkimKeyRow[]>`SELECT ${columns(sql)} FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE k.id = ${id}`
    return row
  },

  async selectorsOf(domainId: number): Promise<string[]> {
    const sql = useDb()
    const rows = await sql<{ selector: string }[]>`SELECT selector FROM dkim_keys WHERE domain_id = ${domainId}`
    return rows.map(r => r.selector)
  },

  /**
   * Stores a new key: `active` when the domain has no active key of its algorithm yet, else
   * `published` (it signs only once activated). The domain row is locked so two first keys made at
   * once cannot both become active. undefined when the selector is taken (or the domain is gone).
   */
  async insert(key: DkimKeyInsert): Promise<DkimKeyRow | undefined> {
    return useDb().begin(async (tx) => {
      const [domain] = await tx`SELECT id FROM domains WHERE id = ${key.domain_id} FOR UPDATE`
      if (!domain) return undefined
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO dkim_keys (domain_id, selector, algorithm, bits, private_key, public_key, status, activated_at)
        SELECT ${key.domain_id}, ${key.selector}, ${key.algorithm}, ${key.bits}, ${key.private_key}, ${key.public_key}, s.status,
               CASE WHEN s.status = 'active' THEN now() END
        FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM dkim_keys WHERE domain_id = ${key.domain_id} AND algorithm = ${key.algorithm} AND status = 'active')
                          THEN 'published' ELSE 'active' END AS status) s
        ON CONFLICT (domain_id, selector) DO NOTHING
        RETURNING id::int AS id`
      if (!row) return undefined
      const [created] = await tx<DkimKeyRow[]>`SELECT ${columns(tx)} FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE k.id = ${row.id}`
      return created
    })
  },

  /** Makes a published key the signing one; the domain's previous active key of that algorithm goes back to published. */
  async activate(id: number): Promise<void> {
    await useDb().begin(async (tx) => {
      const [key] = await tx<{ domain_id: number, algorithm: string }[]>`SELECT domain_id, algorithm FROM dkim_keys WHERE id = ${id}`
      await tx`SELECT id FROM domains WHERE id = ${key!.domain_id} FOR UPDATE`
      await tx`UPDATE dkim_keys SET status = 'published' WHERE domain_id = ${key!.domain_id} AND algorithm = ${key!.algorithm} AND status = 'active' AND id <> ${id}`
      await tx`UPDATE dkim_keys SET status = 'active', activated_at = now(), retired_at = NULL WHERE id = ${id}`
    })
  },

  async retire(id: number): Promise<void> {
    await useDb()`UPDATE dkim_keys SET status = 'retired', retired_at = now() WHERE id = ${id}`
  },

  /** Deletes a key that does not sign; false when it is gone or (meanwhile) active. */
  async remove(id: number): Promise<boolean> {
    const rows = await useDb()`DELETE FROM dkim_keys WHERE id = ${id} AND status <> 'active' RETURNING id`
    return rows.length > 0
  },
}

export const dkimDomainsDb = {
  async byName(name: string): Promise<{ id: number, name: string } | undefined> {
    const [row] = await useDb()<{ id: number, name: string }[]>`SELECT id, name FROM domains WHERE name = ${name}`
    return row
  },

  async byId(id: number): Promise<{ id: number, name: string } | undefined> {
    const [row] = await useDb()<{ id: number, name: string }[]>`SELECT id, name FROM domains WHERE id = ${id}`
    return row
  },

  /** Name → id of every panel domain (to tell which legacy key files belong to one). */
  async ids(): Promise<Map<string, number>> {
    const rows = await useDb()<{ id: number, name: string }[]>`SELECT id, name FROM domains`
    return new Map(rows.map(r => [r.name, r.id]))
  },
}
