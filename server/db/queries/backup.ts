import type { JSONValue } from 'postgres'
import { BACKUP_TABLE_NAMES, backupColumns, type BackupTableName, type BackupTables } from '#shared/schemas/backup'
import { useDb } from '#server/db/use'

// Tables whose `id` is an identity column: after a restore their sequences continue above the restored ids.
const IDENTITY_TABLES = ['domains', 'mailboxes', 'aliases', 'api_tokens', 'webhooks', 'spam_whitelist', 'dkim_keys'] as const
// Emptied with the archived tables but never archived: pending deliveries for webhooks that are about to be replaced,
// and the policy daemon's daily send counters (operational data; they reference the mailboxes being replaced).
const TRANSIENT_TABLES = ['webhook_deliveries', 'policyd_counters'] as const
// A restore waits this long for a lock (a long request holding a row) before giving up with a 503.
const LOCK_TIMEOUT = '30s'
// Rows per cursor fetch of a streamed backup: large enough that the round trips do not show, small
// enough that a batch is a few hundred KB.
const CURSOR_ROWS = 2000

// Tables whose rows keep their `local@domain` (migration 0018): the local-part column and the trigger that sets it.
const LOCAL_PART_COLUMN: Partial<Record<BackupTableName, string>> = { mailboxes: 'username', aliases: 'local_part' }
const ADDRESS_TRIGGERS = [['mailboxes', 'mailboxes_address'], ['aliases', 'aliases_address']] as const

export interface SnapshotSink {
  versions: (versions: string[]) => Promise<void>
  table: (name: BackupTableName) => Promise<void>
  /** Each row as PostgreSQL's row_to_json text (timestamps with microseconds, in UTC). */
  rows: (json: string[]) => Promise<void>
}

/** What a streamed restore hands in: rows as JSON text, a table at a time, in insert order. */
export type RowInserter = (table: BackupTableName, json: string[]) => Promise<void>

export type RestoreCounts = Partial<Record<BackupTableName, number>>

export const backupDb = {
  /** Migrations applied to this database in byte order (what an archive's schema_versions must equal, whatever either server's collation). */
  async appliedMigrations(): Promise<string[]> {
    const rows = await useDb()<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version COLLATE "C"`
    return rows.map(r => r.version)
  },

  /**
   * Every archived table in one REPEATABLE READ snapshot (a mailbox never appears without its domain
   * however busy the panel is), read through a cursor per table so a million mailboxes pass through
   * in batches; `sink` awaits the response's backpressure. PostgreSQL writes the rows as JSON itself
   * (timestamps with microseconds, in UTC), so nothing is rounded on the way through JavaScript.
   */
  async snapshotStream(sink: SnapshotSink): Promise<void> {
    await useDb().begin('isolation level repeatable read read only', async (tx) => {
      await tx`SET LOCAL timezone = 'UTC'`
      const versions = await tx<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version COLLATE "C"`
      await sink.versions(versions.map(r => r.version))
      for (const name of BACKUP_TABLE_NAMES) {
        await sink.table(name)
        await tx<{ j: string }[]>`SELECT row_to_json(t)::text AS j FROM (SELECT ${tx(backupColumns(name))} FROM ${tx(name)} ORDER BY id) t`
          .cursor(CURSOR_ROWS, rows => sink.rows(rows.map(r => r.j)))
      }
    })
  },

  /**
   * The streamed form of replaceAll(): empties the archived tables, then `fill` inserts the
   * archive's rows batch by batch as they arrive, all in one transaction that commits only when
   * `fill` returns (it has seen the archive's end line and checked its checksum); any throw rolls
   * every table back.
   */
  async replaceStreaming(fill: (insert: RowInserter) => Promise<void>): Promise<void> {
    await useDb().begin(async (tx) => {
      await tx`SELECT set_config('lock_timeout', ${LOCK_TIMEOUT}, true)`
      const emptied: string[] = [...BACKUP_TABLE_NAMES, ...TRANSIENT_TABLES]
      await tx`TRUNCATE ${tx(emptied)} RESTART IDENTITY`
      // The per-row address triggers (migration 0018) are the slowest part of a million-row insert;
      // the batch computes the same value itself. Both are transactional: a failed restore re-enables them.
      for (const [table, trigger] of ADDRESS_TRIGGERS) await tx`ALTER TABLE ${tx(table)} DISABLE TRIGGER ${tx(trigger)}`
      await fill(async (name, json) => {
        const columns = backupColumns(name)
        const rows = tx`jsonb_populate_recordset(NULL::${tx(name)}, ${`[${json.join(',')}]`}::text::jsonb)`
        const localPart = LOCAL_PART_COLUMN[name]
        await (localPart
          ? tx`
            INSERT INTO ${tx(name)} (${tx(columns)}, address) OVERRIDING SYSTEM VALUE
            SELECT ${tx(columns.map(c => `r.${c}`))}, r.${tx(localPart)} || '@' || d.name
            FROM ${rows} r LEFT JOIN domains d ON d.id = r.domain_id`
          : tx`INSERT INTO ${tx(name)} (${tx(columns)}) OVERRIDING SYSTEM VALUE SELECT ${tx(columns)} FROM ${rows}`)
      })
      for (const [table, trigger] of ADDRESS_TRIGGERS) await tx`ALTER TABLE ${tx(table)} ENABLE TRIGGER ${tx(trigger)}`
      for (const name of IDENTITY_TABLES) {
        await tx`SELECT setval(pg_get_serial_sequence(${name}, 'id'), coalesce(max(id), 0) + 1, false) FROM ${tx(name)}`
      }
    })
  },

  /**
   * Replaces the content of every archived table in one transaction: empty them, insert the
   * archive's rows with their own ids, move the identity sequences past them. Resolves once the
   * transaction has committed (the caller writes the files only then: server/services/backup/backup.ts).
   * No CASCADE: a table added later that references these would make TRUNCATE fail loudly
   * instead of being emptied without being restored.
   */
  async replaceAll(tables: BackupTables): Promise<RestoreCounts> {
    return useDb().begin(async (tx) => {
      await tx`SELECT set_config('lock_timeout', ${LOCK_TIMEOUT}, true)`
      // A table an older archive does not have is left as it is (see backupDocumentSchema).
      const archived = BACKUP_TABLE_NAMES.filter(name => tables[name] !== undefined)
      const emptied: string[] = [...archived, ...TRANSIENT_TABLES]
      await tx`TRUNCATE ${tx(emptied)} RESTART IDENTITY`
      const counts = {} as RestoreCounts
      for (const name of archived) {
        const columns = backupColumns(name)
        const rows = tables[name]!
        counts[name] = rows.length
        if (!rows.length) continue
        // jsonb_populate_recordset casts each member to the column's own type: text[] from JSON
        // arrays, timestamptz from the ISO strings, exactly as the snapshot wrote them.
        await tx`
          INSERT INTO ${tx(name)} (${tx(columns)}) OVERRIDING SYSTEM VALUE
          SELECT ${tx(columns)} FROM jsonb_populate_recordset(NULL::${tx(name)}, ${tx.json(rows as unknown as JSONValue)})`
      }
      for (const name of IDENTITY_TABLES) {
        await tx`SELECT setval(pg_get_serial_sequence(${name}, 'id'), coalesce(max(id), 0) + 1, false) FROM ${tx(name)}`
      }
      return counts
    })
  },
}
