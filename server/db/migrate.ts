import type { Sql } from 'postgres'

export interface Migration {
  version: string
  sql: string
}

// Any constant works; it only has to be the same in every panel process sharing the database.
const MIGRATION_LOCK_KEY = 7_305_117_001

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so two
 * panels starting together never race: the second waits, then finds nothing left to do.
 */
export async function migrate(sql: Sql, migrations: Migration[]): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.version.localeCompare(b.version))
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`
    const rows = await tx<{ version: string }[]>`SELECT version FROM schema_migrations`
    const applied = new Set(rows.map(r => r.version))
    const known = new Set(ordered.map(m => m.version))
    const unknown = [...applied].filter(v => !known.has(v))
    if (unknown.length) {
      throw new Error(`database has migrations this build does not know (${unknown.join(', ')}); upgrade the panel`)
    }
    const done: string[] = []
    for (const m of ordered) {
      if (applied.has(m.version)) continue
      await tx.unsafe(m.sql)
      await tx`INSERT INTO schema_migrations (version) VALUES (${m.version})`
      done.push(m.version)
    }
    return done
  })
}
