import type { MailMinute, MailStats, MailTotals, RejectClass } from '#shared/types/mailstats'
import { type LineParser, MailEvent } from './parse'

/**
 * Adds up LineParser events: the totals pflogsumm prints, the per-minute buckets and the senders.
 * Memory grows with the distinct minutes, logins and deferred messages seen, never with the lines
 * read; the deferred-message set (pflogsumm's %msgDfrdFlgs, which it never prunes) is capped.
 */

/** Distinct deferred queue ids remembered so a message deferred twice counts once; the oldest go first. */
export const MAX_DEFERRED_IDS = 100_000
const MS_PER_MINUTE = 60_000

type Bucket = Omit<MailMinute, 'start'>
const emptyBucket = (): Bucket => ({
  received: 0, sent: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0,
  rejected_rbl: 0, rejected_greylist: 0, rejected_policy: 0, rejected_unknown_user: 0,
})
const REJECT_FIELD = {
  rbl: 'rejected_rbl', greylist: 'rejected_greylist', policy: 'rejected_policy', unknown_user: 'rejected_unknown_user', other: undefined,
} as const satisfies Record<RejectClass, keyof Bucket | undefined>
const MINUTES_PER_HOUR = 60

interface Sender {
  /** Messages sent so far (byMailbox's value). */
  sent: number
  /** What follows the last `@`, or null. */
  domain: string | null
  /** The hour of the last message and its key in byHourAndMailbox. */
  hour: number
  hourKey: string
}

const emptyTotals = (): MailTotals => ({
  received: 0, sent: 0, inbound: 0, local: 0, delivered: 0, forwarded: 0, deferred: 0, deferrals: 0, bounced: 0, rejected: 0,
  rejects: { rbl: 0, greylist: 0, policy: 0, unknown_user: 0, other: 0 } satisfies Record<RejectClass, number>,
})

export class MailCounters {
  lines = 0
  skipped = 0
  readonly totals = emptyTotals()
  private readonly deferredIds = new Set<string>()
  private readonly senders = new Map<string, Sender>()
  private readonly byMailbox = new Map<string, number>()
  private readonly byDomain = new Map<string, number>()
  // The same, per hour (`<unix hour>|<login>`): what a collector stores, so "the last 24 h" can be asked.
  private byHourAndMailbox = new Map<string, number>()
  private minutes = new Map<number, Bucket>()
  // Log lines come in time order, so the bucket of the previous line is nearly always this line's.
  private lastMinute = Number.NaN
  private lastBucket: Bucket | null = null

  /** Counts the line `parser` has just parsed. */
  add(parser: LineParser): void {
    this.lines++
    if (!parser.postfix) {
      this.skipped++
      return
    }
    const kind = parser.kind
    if (kind === MailEvent.none) return
    const t = this.totals
    const bucket = this.bucket(parser.minute)
    switch (kind) {
      case MailEvent.inbound:
      case MailEvent.local:
        t.received++
        if (kind === MailEvent.inbound) t.inbound++
        else t.local++
        if (bucket) bucket.received++
        break
      case MailEvent.sent: {
        t.received++
        t.sent++
        if (bucket) {
          bucket.received++
          bucket.sent++
        }
        this.countSender(parser.login(), parser.minute)
        break
      }
      case MailEvent.delivered:
        t.delivered++
        if (bucket) bucket.delivered++
        break
      case MailEvent.forwarded:
        t.forwarded++
        break
      case MailEvent.deferred:
        t.deferrals++
        if (bucket) bucket.deferred++
        this.countDeferredMessage(parser.qid())
        break
      case MailEvent.bounced:
        t.bounced++
        if (bucket) bucket.bounced++
        break
      case MailEvent.rejected:
        t.rejected++
        t.rejects[parser.rejectClass]++
        if (bucket) {
          bucket.rejected++
          const field = REJECT_FIELD[parser.rejectClass]
          if (field) bucket[field]++
        }
        break
    }
  }

  /** Counts one line that never reached the parser (too long to hold). */
  addSkipped(): void {
    this.lines++
    this.skipped++
  }

  /** Everything so far; the minute buckets oldest first. */
  snapshot(): MailStats {
    return {
      lines: this.lines,
      skipped: this.skipped,
      totals: { ...this.totals, rejects: { ...this.totals.rejects } },
      minutes: this.minuteList(),
      sent_by_mailbox: Object.fromEntries(this.byMailbox),
      sent_by_domain: Object.fromEntries(this.byDomain),
    }
  }

  /** Hands over the minute buckets and forgets them (for a collector that stores them as it goes). */
  takeMinutes(): MailMinute[] {
    const list = this.minuteList()
    this.minutes = new Map()
    this.lastMinute = Number.NaN
    this.lastBucket = null
    return list
  }

  /** Hands over the per-hour sent counts by login and forgets them: `{hour: ISO start, mailbox, sent}`. */
  takeHourlySenders(): { hour: string, mailbox: string, sent: number }[] {
    const list = [...this.byHourAndMailbox.entries()].map(([key, sent]) => {
      const bar = key.indexOf('|')
      return { hour: new Date(Number(key.slice(0, bar)) * MINUTES_PER_HOUR * MS_PER_MINUTE).toISOString(), mailbox: key.slice(bar + 1), sent }
    })
    this.byHourAndMailbox = new Map()
    return list
  }

  private minuteList(): MailMinute[] {
    return [...this.minutes.entries()].sort((a, b) => a[0] - b[0])
      .map(([minute, b]) => ({ start: new Date(minute * MS_PER_MINUTE).toISOString(), ...b }))
  }

  private bucket(minute: number): Bucket | null {
    if (minute === this.lastMinute) return this.lastBucket
    if (Number.isNaN(minute)) return null
    let bucket = this.minutes.get(minute)
    if (!bucket) {
      bucket = emptyBucket()
      this.minutes.set(minute, bucket)
    }
    this.lastMinute = minute
    this.lastBucket = bucket
    return bucket
  }

  private countSender(login: string, minute: number): void {
    if (login === '') return
    const sender = this.sender(login)
    sender.sent++
    this.byMailbox.set(login, sender.sent)
    if (!Number.isNaN(minute)) {
      const hour = Math.floor(minute / MINUTES_PER_HOUR)
      if (hour !== sender.hour) {
        sender.hour = hour
        sender.hourKey = `${hour}|${login}`
      }
      const key = sender.hourKey
      this.byHourAndMailbox.set(key, (this.byHourAndMailbox.get(key) ?? 0) + 1)
    }
    if (sender.domain !== null) this.byDomain.set(sender.domain, (this.byDomain.get(sender.domain) ?? 0) + 1)
  }

  /** What is kept per login, so a repeated sender costs map updates, not new strings (key, domain). */
  private sender(login: string): Sender {
    let sender = this.senders.get(login)
    if (!sender) {
      const at = login.lastIndexOf('@')
      sender = { sent: 0, domain: at < 0 ? null : login.slice(at + 1), hour: Number.NaN, hourKey: '' }
      this.senders.set(login, sender)
    }
    return sender
  }

  private countDeferredMessage(qid: string): void {
    if (this.deferredIds.has(qid)) return
    this.totals.deferred++
    this.deferredIds.add(qid)
    if (this.deferredIds.size > MAX_DEFERRED_IDS) this.deferredIds.delete(this.deferredIds.values().next().value as string)
  }
}
