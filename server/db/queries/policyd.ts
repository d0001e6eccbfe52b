import type { FailMode } from '#shared/schemas/policyd'
import { useDb } from '#server/db/use'
import type { PolicydUsage } from '#shared/types/policyd'

export interface SenderLimits {
  mailboxId: number
  /** Mailbox and domain both active (Dovecot would refuse a new login otherwise). */
  active: boolean
  smtpEnabled: boolean
  requireTls: boolean
  maxMessageSize: number
  maxRecipients: number
  /** Messages per UTC day; 0 = unlimited. */
  dailySendLimit: number
}

export interface LimitsVersion {
  version: number
  failMode: FailMode
}

export interface SenderRow extends LimitsVersion {
  /** Undefined when no mailbox has that address. */
  limits?: SenderLimits
}

export interface CounterGrant {
  mailboxId: number
  /** How many of the requested increments were granted (the rest would pass the limit). */
  granted: number
  /** The day's count after this statement. */
  count: number
}

interface SenderSqlRow {
  version: number
  fail_mode: FailMode
  mailbox_id: number | null
  active: boolean
  smtp_enabled: boolean
  require_tls: boolean
  max_message_size: number
  max_recipients: number
  daily_send_limit: number
}

/** The policy daemon's SQL: sender limits (three tiers merged in SQL), the daily counters, the fail-mode setting. */
export const policydDb = {
  /** The version the limits cache is checked against, and the fail mode, in one probe. */
  async version(): Promise<LimitsVersion> {
    const sql = useDb()
    const [row] = await sql<{ version: number, fail_mode: FailMode }[]>`
      SELECT v.version, s.policyd_fail_mode AS fail_mode FROM policyd_limits_version v CROSS JOIN server_settings s`
    return { version: row!.version, failMode: row!.fail_mode }
  },

  /**
   * A sender's effective limits by `user@domain`: the same two unique-index probes as Dovecot's
   * lookup (domains.name, then mailboxes(domain_id, username)), read in the same snapshot as the
   * version, so the cache can tell whether the row is older or newer than what it holds.
   */
  async sender(domain: string, username: string): Promise<SenderRow> {
    const sql = useDb()
    const [row] = await sql<SenderSqlRow[]>`
      SELECT v.version, s.policyd_fail_mode AS fail_mode, mb.*
      FROM policyd_limits_version v CROSS JOIN server_settings s
      LEFT JOIN LATERAL (
        SELECT mailbox_id, active, smtp_enabled, require_tls, max_message_size, max_recipients, daily_send_limit
        FROM mailbox_limits WHERE domain_name = ${domain} AND username = ${username}
      ) mb ON true`
    const r = row!
    const out: SenderRow = { version: r.version, failMode: r.fail_mode }
    if (r.mailbox_id !== null) {
      out.limits = {
        mailboxId: r.mailbox_id,
        active: r.active,
        smtpEnabled: r.smtp_enabled,
        requireTls: r.require_tls,
        maxMessageSize: r.max_message_size,
        maxRecipients: r.max_recipients,
        dailySendLimit: r.daily_send_limit,
      }
    }
    return out
  },

  /** The day's counts of several mailboxes in one statement (absent = 0). */
  async counts(day: string, mailboxIds: number[]): Promise<Map<number, number>> {
    const sql = useDb()
    const rows = await sql<{ mailbox_id: number, count: number }[]>`
      SELECT mailbox_id, count FROM policyd_counters WHERE day = ${day}::date AND mailbox_id = ANY(${mailboxIds}::int[])`
    return new Map(rows.map(r => [r.mailbox_id, r.count]))
  },

  /**
   * Adds up to `want[i]` messages to each mailbox's count for the day, never past `limit[i]`
   * (0 = unlimited), in one statement. Atomic per row: concurrent statements, from this process or
   * another panel sharing the database, queue on the row lock and each sees the other's result, so
   * no increment is lost and no limit is overshot. Rows are taken in id order, so two batches can
   * never deadlock. In the UPDATE every SET expression reads the row as it was, so `last_grant` and
   * `count` are computed from the same old count.
   *
   * Durability trade-off, deliberate: the statement commits with synchronous_commit off. A durable
   * commit waits for the disk (3.1 ms here), and with one request in flight per Postfix connection
   * that alone would cap 20 connections at ~6,400 messages/s however well batched; without the
   * wait a commit costs 0.3 ms. What it risks: if the PostgreSQL server itself crashes (not a clean
   * restart, not a panel restart), the increments of the last ~0.6 s (3 × wal_writer_delay) can be
   * lost — a few messages not counted against a daily limit. The database stays consistent.
   */
  async consume(day: string, mailboxIds: number[], want: number[], limits: number[]): Promise<CounterGrant[]> {
    const sql = useDb()
    const rows = await sql<{ mailbox_id: number, count: number, last_grant: number }[]>`
      INSERT INTO policyd_counters AS c (mailbox_id, day, count, daily_limit, last_grant)
      SELECT r.mailbox_id, ${day}::date, g.n, r.lim, g.n
      FROM unnest(${mailboxIds}::int[], ${want}::int[], ${limits}::int[]) AS r(mailbox_id, want, lim)
      CROSS JOIN LATERAL (SELECT CASE WHEN r.lim = 0 THEN r.want ELSE least(r.want, r.lim) END AS n) g
      -- This statement's own transaction commits without waiting for the WAL flush (see the comment above).
      CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) async_commit
      -- A mailbox deleted since its limits were read is skipped (no row returned), not a foreign-key error for the whole batch.
      WHERE EXISTS (SELECT 1 FROM mailboxes m WHERE m.id = r.mailbox_id)
      ORDER BY r.mailbox_id
      ON CONFLICT (mailbox_id, day) DO UPDATE SET
        last_grant = CASE WHEN excluded.daily_limit = 0 THEN excluded.count
                          ELSE least(excluded.count, greatest(excluded.daily_limit - c.count, 0)) END,
        count = c.count + CASE WHEN excluded.daily_limit = 0 THEN excluded.count
                               ELSE least(excluded.count, greatest(excluded.daily_limit - c.count, 0)) END,
        daily_limit = excluded.daily_limit
      RETURNING mailbox_id, count, last_grant`
    return rows.map(r => ({ mailboxId: r.mailbox_id, granted: r.last_grant, count: r.count }))
  },

  /** Clears a mailbox's count for the day; undefined when the mailbox does not exist. */
  async reset(day: string, mailboxId: number): Promise<{ cleared: number } | undefined> {
    const sql = useDb()
    const [row] = await sql<{ cleared: number | null }[]>`
      WITH gone AS (DELETE FROM policyd_counters WHERE mailbox_id = ${mailboxId} AND day = ${day}::date RETURNING count)
      SELECT (SELECT count FROM gone) AS cleared FROM mailboxes WHERE id = ${mailboxId}`
    return row ? { cleared: row.cleared ?? 0 } : undefined
  },

  /** Forgets days before `keepFrom`: old counts have no further use. */
  async prune(keepFrom: string): Promise<void> {
    const sql = useDb()
    await sql`DELETE FROM policyd_counters WHERE day < ${keepFrom}::date`
  },

  /** The day's busiest senders (with their current effective limit) and the totals over all mailboxes. */
  async usage(day: string, top: number): Promise<{ mailboxes: number, messages: number, top: PolicydUsage[] }> {
    const sql = useDb()
    const [totals, rows] = await Promise.all([
      sql<{ mailboxes: number, messages: number }[]>`
        SELECT count(*)::int AS mailboxes, coalesce(sum(count), 0)::int AS messages FROM policyd_counters WHERE day = ${day}::date`,
      sql<PolicydUsage[]>`
        SELECT c.mailbox_id, e.username || '@' || e.domain_name AS address, c.count AS sent, e.daily_send_limit
        FROM policyd_counters c JOIN mailbox_limits e ON e.mailbox_id = c.mailbox_id
        WHERE c.day = ${day}::date ORDER BY c.count DESC, c.mailbox_id LIMIT ${top}`,
    ])
    return { ...totals[0]!, top: rows }
  },

  async failMode(): Promise<FailMode> {
    const sql = useDb()
    const [row] = await sql<{ policyd_fail_mode: FailMode }[]>`SELECT policyd_fail_mode FROM server_settings`
    return row!.policyd_fail_mode
  },

  async setFailMode(mode: FailMode): Promise<FailMode> {
    const sql = useDb()
    const [row] = await sql<{ policyd_fail_mode: FailMode }[]>`
      UPDATE server_settings SET policyd_fail_mode = ${mode}, updated_at = now() RETURNING policyd_fail_mode`
    return row!.policyd_fail_mode
  },
}
