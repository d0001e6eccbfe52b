import type { Sql } from 'postgres'
import { useDb } from '#server/db/use'
import type { WebhookEvent } from '#shared/schemas/webhook'

/** One validated, hashed CSV row, ready to insert. */
export interface ImportRow {
  domainId: number
  username: string
  passwordHash: string
  name: string
  quotaMb: number | null
  active: boolean
}

/** An address of the file as (domain id, local part): what the unique indexes are keyed on. */
export interface AddressKey {
  domainId: number
  username: string
}

// Rows per INSERT … SELECT FROM unnest() (quota and active travel as text: postgres.js sends a
// boolean[] or an int[] with NULLs in a form PostgreSQL will not cast): a few MB of parameters per statement, and the statement-level
// triggers (domain counts, list and limits versions) run once per batch, not once per row.
const INSERT_BATCH = 5_000
// Keys per lookup: one round trip per batch, each key a probe of a unique (domain_id, …) index.
const LOOKUP_BATCH = 10_000

function* batches<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

/** The addresses among `keys` a mailbox or an alias already uses. */
async function taken(sql: Sql, keys: AddressKey[], aliasesOnly: boolean): Promise<Set<string>> {
  const found = new Set<string>()
  for (const batch of batches(keys, LOOKUP_BATCH)) {
    const domainIds = batch.map(k => k.domainId)
    const usernames = batch.map(k => k.username)
    const rows = await sql<{ address: string }[]>`
      SELECT a.address FROM aliases a
      JOIN unnest(${domainIds}::int[], ${usernames}::text[]) AS k(domain_id, local_part)
        ON a.domain_id = k.domain_id AND a.local_part = k.local_part
      ${aliasesOnly
        ? sql``
        : sql`UNION ALL SELECT m.address FROM mailboxes m
      JOIN unnest(${domainIds}::int[], ${usernames}::text[]) AS k(domain_id, username)
        ON m.domain_id = k.domain_id AND m.username = k.username`}`
    for (const row of rows) found.add(row.address)
  }
  return found
}

export const mailboxImportDb = {
  /** Domain name → id for the names that exist. */
  async domainIds(names: string[]): Promise<Map<string, number>> {
    const rows = await useDb()<{ id: number, name: string }[]>`SELECT id, name FROM domains WHERE name = ANY (${names}::text[])`
    return new Map(rows.map(r => [r.name, r.id]))
  },

  /** `user@domain` of every key already used by a mailbox or an alias. */
  async existing(keys: AddressKey[]): Promise<Set<string>> {
    return taken(useDb(), keys, false)
  },

  /** Whether any webhook subscribes to `event` (an import then loads the new rows for their payloads). */
  async subscribed(event: WebhookEvent): Promise<boolean> {
    const [row] = await useDb()<{ yes: boolean }[]>`SELECT EXISTS (SELECT 1 FROM webhooks WHERE ${event} = ANY (events)) AS yes`
    return row!.yes
  },

  /**
   * Inserts every row in one transaction: all of them or none. Aliases are locked against writes
   * (SHARE) and checked again inside it, since the file was validated before its passwords were
   * hashed; a mailbox created meanwhile is a unique violation (23505, MAILBOX_EXISTS) that rolls
   * everything back. Returns the new ids; `onBatch` hears how many rows are in so far.
   */
  async insertAll(rows: ImportRow[], onBatch?: (done: number) => void): Promise<{ ids: number[] } | { aliasConflicts: string[] }> {
    return useDb().begin(async (tx) => {
      await tx`LOCK TABLE aliases IN SHARE MODE`
      const conflicts = await taken(tx as unknown as Sql, rows, true)
      if (conflicts.size) return { aliasConflicts: [...conflicts] }
      const ids: number[] = []
      for (const batch of batches(rows, INSERT_BATCH)) {
        const inserted = await tx<{ id: number }[]>`
          INSERT INTO mailboxes (domain_id, username, password, name, quota_mb, active)
          SELECT d, u, p, n, q::int, a::bool
          FROM unnest(${batch.map(r => r.domainId)}::int[], ${batch.map(r => r.username)}::text[],
            ${batch.map(r => r.passwordHash)}::text[], ${batch.map(r => r.name)}::text[],
            ${batch.map(r => (r.quotaMb === null ? null : String(r.quotaMb)))}::text[], ${batch.map(r => (r.active ? 't' : 'f'))}::text[]) AS r(d, u, p, n, q, a)
          RETURNING id`
        for (const row of inserted) ids.push(row.id)
        onBatch?.(ids.length)
      }
      return { ids }
    })
  },
}
