import type { JSONValue } from 'postgres'
import { MAILSTACK_SETTING_KEYS, type MailstackSettingsRow } from '#shared/schemas/mailstack'
import { useDb } from '#server/db/use'
import type { ReconcileRun } from '#shared/types/mailstack'

// Any constant, the same in every panel process: one reconcile at a time per database.
const RECONCILE_LOCK_KEY = 7_305_117_002
const KEEP_RUNS = 500

const json = (run: Omit<ReconcileRun, 'id'>) => {
  const sql = useDb()
  const j = (value: unknown) => sql.json(value as JSONValue)
  return { files: j(run.files), reloads: j(run.reloads), notes: j(run.notes), errors: j(run.errors) }
}

export const mailstackDb = {
  async getSettings(): Promise<MailstackSettingsRow> {
    const sql = useDb()
    const [row] = await sql<MailstackSettingsRow[]>`SELECT ${sql(MAILSTACK_SETTING_KEYS)} FROM mailstack_settings`
    return row!
  },

  async updateSettings(changes: Partial<MailstackSettingsRow>): Promise<MailstackSettingsRow> {
    const sql = useDb()
    const [row] = await sql<MailstackSettingsRow[]>`
      UPDATE mailstack_settings SET ${sql(changes)}, updated_at = now() RETURNING ${sql(MAILSTACK_SETTING_KEYS)}`
    return row!
  },

  /**
   * Runs `fn` holding a session advisory lock on a reserved connection, so two panel processes
   * sharing the database never write the same files at once (the second waits, then finds nothing
   * to change). Not a transaction: `fn` queries through the pool, and the embedded PGlite blocks
   * every other connection while one has a transaction open. A dropped connection drops the lock.
   */
  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    const conn = await useDb().reserve()
    try {
      await conn`SELECT pg_advisory_lock(${RECONCILE_LOCK_KEY})`
      try {
        return await fn()
      }
      finally {
        await conn`SELECT pg_advisory_unlock(${RECONCILE_LOCK_KEY})`
      }
    }
    finally {
      conn.release()
    }
  },

  async recordRun(run: Omit<ReconcileRun, 'id'>): Promise<number> {
    const sql = useDb()
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO reconcile_runs ${sql({ ...run, ...json(run) })}
      RETURNING id`
    await sql`DELETE FROM reconcile_runs WHERE id <= ${row!.id - KEEP_RUNS}`
    return Number(row!.id)
  },

  /** The newest run, and the newest successful real (not dry) run. */
  async lastRuns(): Promise<{ last?: ReconcileRun, lastSuccess?: ReconcileRun }> {
    const sql = useDb()
    const columns = sql`id, trigger, dry_run, ok, changed, started_at, finished_at, duration_ms, files, reloads, notes, errors`
    const [last] = await sql<ReconcileRun[]>`SELECT ${columns} FROM reconcile_runs ORDER BY id DESC LIMIT 1`
    const [lastSuccess] = await sql<ReconcileRun[]>`
      SELECT ${columns} FROM reconcile_runs WHERE ok AND NOT dry_run ORDER BY id DESC LIMIT 1`
    return { last, lastSuccess }
  },
}
