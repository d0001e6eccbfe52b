import type { CounterGrant } from '#server/db/queries/policyd'
import { Batcher } from './batch'
import { utcDay } from './decide'

/**
 * Daily send counters. PostgreSQL holds the only copy (policyd_counters), so a restart, a second
 * panel process or an admin reset is seen by the very next request; nothing is counted in memory.
 * Reads (RCPT stage) and increments (END-OF-MESSAGE) are each batched into one statement per
 * round trip; an increment is granted only while the count is below the limit, decided by the
 * statement itself, so concurrent messages can never overshoot.
 */

// Old days are only kept for a look back; the status page shows today.
const KEEP_DAYS = 2
const DAY_MS = 86_400_000

export interface CounterStore {
  counts: (day: string, mailboxIds: number[]) => Promise<Map<number, number>>
  consume: (day: string, mailboxIds: number[], want: number[], limits: number[]) => Promise<CounterGrant[]>
  prune: (keepFrom: string) => Promise<void>
}

interface ReadItem { day: string, mailboxId: number }
interface ConsumeItem { day: string, mailboxId: number, limit: number }
export interface ConsumeResult {
  granted: boolean
  /** Messages counted today before this one (for a refused one: the count, at or over the limit). */
  countBefore: number
}

/** Groups items by day; nearly always one group (a batch straddles midnight at most once a day). */
function byDay<T extends { day: string }>(items: T[]): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  items.forEach((item, i) => {
    const list = groups.get(item.day)
    if (list) list.push(i)
    else groups.set(item.day, [i])
  })
  return groups
}

export class Counters {
  private readonly reads: Batcher<ReadItem, number>
  private readonly increments: Batcher<ConsumeItem, ConsumeResult>
  private prunedFor = ''

  constructor(private readonly store: CounterStore, private readonly clock: () => Date = () => new Date()) {
    this.reads = new Batcher(items => this.readBatch(items))
    this.increments = new Batcher(items => this.consumeBatch(items))
  }

  today(): string {
    return utcDay(this.clock())
  }

  /** Today's count for a mailbox. */
  current(mailboxId: number): Promise<number> {
    return this.reads.add({ day: this.today(), mailboxId })
  }

  /** Counts one message for today unless that would pass `limit` (0 = unlimited). */
  consume(mailboxId: number, limit: number): Promise<ConsumeResult> {
    const day = this.today()
    if (day !== this.prunedFor) this.prune(day)
    return this.increments.add({ day, mailboxId, limit })
  }

  async idle(): Promise<void> {
    await Promise.all([this.reads.idle(), this.increments.idle()])
  }

  private prune(day: string): void {
    this.prunedFor = day
    const keepFrom = utcDay(new Date(Date.parse(day) - KEEP_DAYS * DAY_MS))
    // Best effort: a failure only leaves old rows for the next day's attempt.
    this.store.prune(keepFrom).catch(() => (this.prunedFor = ''))
  }

  private async readBatch(items: ReadItem[]): Promise<number[]> {
    const out = new Array<number>(items.length)
    for (const [day, indexes] of byDay(items)) {
      const counts = await this.store.counts(day, [...new Set(indexes.map(i => items[i]!.mailboxId))])
      for (const i of indexes) out[i] = counts.get(items[i]!.mailboxId) ?? 0
    }
    return out
  }

  /**
   * One row per mailbox: k requests for the same mailbox become one increment of up to k, and the
   * grant goes to the first requests in arrival order.
   */
  private async consumeBatch(items: ConsumeItem[]): Promise<ConsumeResult[]> {
    const out = new Array<ConsumeResult>(items.length)
    for (const [day, indexes] of byDay(items)) {
      const perMailbox = new Map<number, { want: number, limit: number, indexes: number[] }>()
      for (const i of indexes) {
        const item = items[i]!
        const entry = perMailbox.get(item.mailboxId)
        // Within one batch the latest limit wins (they differ only if the config changed mid-batch).
        if (entry) {
          entry.want++
          entry.limit = item.limit
          entry.indexes.push(i)
        }
        else perMailbox.set(item.mailboxId, { want: 1, limit: item.limit, indexes: [i] })
      }
      const ids = [...perMailbox.keys()].sort((a, b) => a - b)
      // A mailbox deleted meanwhile gets no row back: nothing left to count against, so let it pass.
      for (const i of indexes) out[i] = { granted: true, countBefore: 0 }
      const grants = await this.store.consume(day, ids, ids.map(id => perMailbox.get(id)!.want), ids.map(id => perMailbox.get(id)!.limit))
      for (const grant of grants) {
        const entry = perMailbox.get(grant.mailboxId)!
        const before = grant.count - grant.granted
        entry.indexes.forEach((index, n) => {
          out[index] = n < grant.granted ? { granted: true, countBefore: before + n } : { granted: false, countBefore: grant.count }
        })
      }
    }
    return out
  }
}
