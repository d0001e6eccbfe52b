import type { Sql, TransactionSql } from 'postgres'
import { useDb } from '#server/db/use'
import type { MailMinute } from '#shared/types/mailstats'
import type { MailStatsSummary, SenderCount } from '#shared/types/mailstats-api'

/** Where the collector stopped in one log file (migration 0016). */
export interface MaillogCursor {
  inode: number
  byteOffset: number
  /** journald's cursor of the last entry counted (a `journal:` source; inode and byteOffset are 0 there). */
  journalCursor: string | null
  lines: number
  updatedAt: Date
}

/** What one collector pass read: added to the tables and the cursor moved, all or nothing. */
export interface MaillogBatch {
  minutes: MailMinute[]
  senders: { hour: string, mailbox: string, sent: number }[]
  cursor: { inode: number, byteOffset: number, lines: number, journalCursor?: string }
}

const MINUTE_COUNTS = ['received', 'sent', 'delivered', 'deferred', 'bounced', 'rejected',
  'rejected_rbl', 'rejected_greylist', 'rejected_policy', 'rejected_unknown_user'] as const
// Bind parameters per statement stay far below PostgreSQL's 65,535.
const ROWS_PER_STATEMENT = 1000

type Tx = TransactionSql | Sql

async function addMinutes(tx: Tx, minutes: MailMinute[]): Promise<void> {
  for (let i = 0; i < minutes.length; i += ROWS_PER_STATEMENT) {
    const rows = minutes.slice(i, i + ROWS_PER_STATEMENT).map(({ start, ...counts }) => ({ minute: start, ...counts }))
    await tx`INSERT INTO mail_stats_minutes ${tx(rows, 'minute', ...MINUTE_COUNTS)}
      ON CONFLICT (minute) DO UPDATE SET
        received = mail_stats_minutes.received + EXCLUDED.received,
        sent = mail_stats_minutes.sent + EXCLUDED.sent,
        delivered = mail_stats_minutes.delivered + EXCLUDED.delivered,
        deferred = mail_stats_minutes.deferred + EXCLUDED.deferred,
        bounced = mail_stats_minutes.bounced + EXCLUDED.bounced,
        rejected = mail_stats_minutes.rejected + EXCLUDED.rejected,
        rejected_rbl = mail_stats_minutes.rejected_rbl + EXCLUDED.rejected_rbl,
        rejected_greylist = mail_stats_minutes.rejected_greylist + EXCLUDED.rejected_greylist,
        rejected_policy = mail_stats_minutes.rejected_policy + EXCLUDED.rejected_policy,
        rejected_unknown_user = mail_stats_minutes.rejected_unknown_user + EXCLUDED.rejected_unknown_user`
  }
}

async function addSenders(tx: Tx, senders: MaillogBatch['senders']): Promise<void> {
  for (let i = 0; i < senders.length; i += ROWS_PER_STATEMENT) {
    const rows = senders.slice(i, i + ROWS_PER_STATEMENT)
    await tx`INSERT INTO mail_stats_senders ${tx(rows, 'hour', 'mailbox', 'sent')}
      ON CONFLICT (hour, mailbox) DO UPDATE SET sent = mail_stats_senders.sent + EXCLUDED.sent`
  }
}

interface CursorRow {
  inode: string
  byte_offset: string
  lines: string
  journal_cursor: string | null
  updated_at: Date
}

const toCursor = (r: CursorRow): MaillogCursor => ({
  inode: Number(r.inode), byteOffset: Number(r.byte_offset), journalCursor: r.journal_cursor, lines: Number(r.lines), updatedAt: r.updated_at,
})

type SumRow = Record<(typeof MINUTE_COUNTS)[number], number>

export const mailstatsDb = {
  /**
   * One collector pass for `path`: holds the path's advisory lock (a second panel process on the same
   * database waits instead of counting the same lines), hands `work` the stored cursor, and stores the
   * batch it returns in the same transaction. `work` returning undefined stores nothing.
   */
  async pass<T>(path: string, work: (cursor: MaillogCursor | undefined) => Promise<{ batch?: MaillogBatch, result: T }>): Promise<T> {
    return useDb().begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`maillog:${path}`}))`
      const [row] = await tx<CursorRow[]>`SELECT inode, byte_offset, journal_cursor, lines, updated_at FROM maillog_cursor WHERE path = ${path}`
      const { batch, result } = await work(row && toCursor(row))
      if (batch) {
        await addMinutes(tx, batch.minutes)
        await addSenders(tx, batch.senders)
        const { inode, byteOffset, lines, journalCursor = null } = batch.cursor
        await tx`INSERT INTO maillog_cursor (path, inode, byte_offset, journal_cursor, lines) VALUES (${path}, ${inode}, ${byteOffset}, ${journalCursor}, ${lines})
          ON CONFLICT (path) DO UPDATE SET inode = EXCLUDED.inode, byte_offset = EXCLUDED.byte_offset, journal_cursor = EXCLUDED.journal_cursor,
            lines = maillog_cursor.lines + EXCLUDED.lines, updated_at = now()`
      }
      return result
    }) as Promise<T>
  },

  /**
   * Everything GET /stats/mail shows, from one snapshot (a repeatable-read transaction): a collector
   * pass that commits meanwhile shows up in all of it or in none.
   */
  async report(path: string, q: { hourSince: Date, daySince: Date, since: Date, bucketMinutes: number, topLimit: number }) {
    return useDb().begin('isolation level repeatable read read only', async (tx) => {
      const lastHour = await totals(tx, q.hourSince)
      const last24h = await totals(tx, q.daySince)
      const points = await series(tx, q.since, q.bucketMinutes)
      const top = await topSenders(tx, q.since, q.topLimit)
      const [row] = await tx<CursorRow[]>`SELECT inode, byte_offset, journal_cursor, lines, updated_at FROM maillog_cursor WHERE path = ${path}`
      return { lastHour, last24h, points, top, cursor: row && toCursor(row) }
    })
  },

  /** The counts since `hourSince` and since `daySince`, from one snapshot (GET /metrics). */
  async windows(hourSince: Date, daySince: Date): Promise<{ lastHour: MailStatsSummary, last24h: MailStatsSummary }> {
    return useDb().begin('isolation level repeatable read read only', async tx => ({
      lastHour: await totals(tx, hourSince),
      last24h: await totals(tx, daySince),
    })) as Promise<{ lastHour: MailStatsSummary, last24h: MailStatsSummary }>
  },

  /** Forgets minutes and sender hours older than `before`. */
  async prune(before: Date): Promise<void> {
    const sql = useDb()
    await sql`DELETE FROM mail_stats_minutes WHERE minute < ${before}`
    await sql`DELETE FROM mail_stats_senders WHERE hour < ${before}`
  },
}

/** The counts since `since`. */
async function totals(sql: Tx, since: Date): Promise<MailStatsSummary> {
  const [row] = await sql<SumRow[]>`SELECT ${sql.unsafe(MINUTE_COUNTS.map(c => `coalesce(sum(${c}), 0)::int AS ${c}`).join(', '))}
      FROM mail_stats_minutes WHERE minute >= ${since}`
  return summary(row!)
}

/** Buckets of `bucketMinutes` from `since` (only buckets with traffic; the caller fills the gaps). */
async function series(sql: Tx, since: Date, bucketMinutes: number): Promise<(MailStatsSummary & { start: Date })[]> {
  const seconds = bucketMinutes * 60
  const rows = await sql<(SumRow & { start: Date })[]>`
      SELECT to_timestamp(floor(extract(epoch FROM minute) / ${seconds}) * ${seconds}) AS start,
        ${sql.unsafe(MINUTE_COUNTS.map(c => `sum(${c})::int AS ${c}`).join(', '))}
      FROM mail_stats_minutes WHERE minute >= ${since} GROUP BY 1 ORDER BY 1`
  return rows.map(r => ({ start: r.start, ...summary(r) }))
}

/** The busiest authenticated senders since `since`, by login and by domain. */
async function topSenders(sql: Tx, since: Date, limit: number): Promise<{ mailboxes: SenderCount[], domains: SenderCount[] }> {
  const mailboxes = await sql<SenderCount[]>`SELECT mailbox AS name, sum(sent)::int AS sent FROM mail_stats_senders
      WHERE hour >= ${since} GROUP BY mailbox ORDER BY sent DESC, name LIMIT ${limit}`
  const domains = await sql<SenderCount[]>`SELECT split_part(mailbox, '@', 2) AS name, sum(sent)::int AS sent FROM mail_stats_senders
      WHERE hour >= ${since} AND mailbox LIKE '%@%' GROUP BY 1 ORDER BY sent DESC, name LIMIT ${limit}`
  return { mailboxes: [...mailboxes], domains: [...domains] }
}

function summary(r: SumRow): MailStatsSummary {
  return {
    received: r.received, sent: r.sent, delivered: r.delivered, deferred: r.deferred, bounced: r.bounced, rejected: r.rejected,
    rejects: {
      rbl: r.rejected_rbl, greylist: r.rejected_greylist, policy: r.rejected_policy, unknown_user: r.rejected_unknown_user,
      other: r.rejected - r.rejected_rbl - r.rejected_greylist - r.rejected_policy - r.rejected_unknown_user,
    },
  }
}
