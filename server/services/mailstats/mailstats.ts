import { mailstatsDb } from '#server/db/queries/mailstats'
import { maillogFile } from '#server/mailstack/context'
import { useConfig } from '#server/utils/config'
import { scrubSecrets } from '#server/utils/errors'
import type { MailStatsRange, MailStatsResponse, MailStatsSummary } from '#shared/types/mailstats-api'
import { collectMaillog, type PassResult } from './collector'
import { collectJournal, journalKey } from './journal'

const MS_PER_MINUTE = 60_000
/** Each range and the width of its chart points: about 60 to 360 points. */
const RANGES: Record<MailStatsRange, { minutes: number, bucket: number }> = {
  '1h': { minutes: 60, bucket: 1 },
  '24h': { minutes: 24 * 60, bucket: 10 },
  '7d': { minutes: 7 * 24 * 60, bucket: 60 },
  '30d': { minutes: 30 * 24 * 60, bucket: 6 * 60 },
}
/** Minutes and sender hours are kept this long (the longest range). */
export const RETENTION_DAYS = 30
const TOP_SENDERS = 10

let lastError: string | null = null

const zero = (): MailStatsSummary => ({
  received: 0, sent: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0,
  rejects: { rbl: 0, greylist: 0, policy: 0, unknown_user: 0, other: 0 },
})

/** Where the collector reads: its cursor's key (`path`) and what the dashboard calls it. */
interface LogSource {
  kind: 'file' | 'journald'
  path: string
  label: string
}

export const mailstats = {
  /** The Postfix log file the collector reads (the rendered main.cf's maillog_file), or the journal (MAILLOG_SOURCE=journald). */
  source(): LogSource {
    const config = useConfig()
    if (config.maillogSource === 'journald') {
      const dir = config.maillogJournalDir
      return { kind: 'journald', path: journalKey(dir), label: dir ? `the journal in ${dir} (mail facility)` : 'the system journal (mail facility)' }
    }
    const path = maillogFile(config.paths.root)
    return { kind: 'file', path, label: path }
  },

  /** One collector pass to the end of the log; remembers its error for the stats response. */
  async collect(): Promise<PassResult> {
    try {
      const source = mailstats.source()
      const result = source.kind === 'journald'
        ? await collectJournal(useConfig().maillogJournalDir, RETENTION_DAYS)
        : await collectMaillog(source.path)
      lastError = null
      return result
    }
    catch (err) {
      lastError = scrubSecrets(err instanceof Error ? err.message : String(err))
      throw err
    }
  },

  prune(now = new Date()): Promise<void> {
    return mailstatsDb.prune(new Date(now.getTime() - RETENTION_DAYS * 24 * 60 * MS_PER_MINUTE))
  },

  async report(range: MailStatsRange, now = new Date()): Promise<MailStatsResponse> {
    const { minutes, bucket } = RANGES[range]
    const ago = (m: number) => new Date(now.getTime() - m * MS_PER_MINUTE)
    // The series starts on a bucket boundary, so its points line up with the SQL buckets.
    const bucketMs = bucket * MS_PER_MINUTE
    const since = new Date(Math.floor(ago(minutes).getTime() / bucketMs) * bucketMs)
    const { path, label, kind } = mailstats.source()
    const { lastHour, last24h, points, top, cursor } = await mailstatsDb.report(path, {
      hourSince: ago(60), daySince: ago(24 * 60), since, bucketMinutes: bucket, topLimit: TOP_SENDERS,
    })
    const byStart = new Map(points.map(p => [p.start.getTime(), p]))
    const series: MailStatsResponse['series'] = []
    for (let t = since.getTime(); t <= now.getTime(); t += bucketMs) {
      const { start: _start, ...counts } = byStart.get(t) ?? { start: new Date(t), ...zero() }
      series.push({ start: new Date(t).toISOString(), ...counts })
    }
    return {
      last_hour: lastHour,
      last_24h: last24h,
      range,
      bucket_minutes: bucket,
      series,
      top_senders: top,
      collector: { source: kind, path: label, lines: cursor?.lines ?? 0, last_read_at: cursor?.updatedAt.toISOString() ?? null, error: lastError },
    }
  },
}
