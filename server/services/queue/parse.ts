import { isQueueId, QUEUE_NAMES, type QueueName } from '#shared/schemas/queue'
import { MAX_RECIPIENTS_SHOWN, type QueueMessage, type QueueRecipient } from '#shared/types/queue'

/**
 * `postqueue -j` read as it streams, pure (bytes in, one page out), so it is unit-tested without a
 * Postfix. Bounds: memory is one chunk, at most one partial line of MAX_LINE_BYTES, and the page
 * being collected; a queue of 100,000 messages is counted, never held. A longer line (a message with
 * tens of thousands of recipients) or one that is not a queue object is skipped and counted in `skipped`.
 */

export const MAX_LINE_BYTES = 1024 * 1024
const NEWLINE = 10

/** Bytes → lines; a line over MAX_LINE_BYTES is dropped whole (`skipped`). */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private overlong = false

  constructor(private readonly onLine: (line: string) => void, private readonly onSkipped: () => void) {}

  push(chunk: Buffer): void {
    let start = 0
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, nl))
      this.finish()
      start = nl + 1
    }
    if (start < chunk.length) this.take(chunk.subarray(start))
  }

  /** The stream is over: a last line without its newline still counts. */
  end(): void {
    if (this.pendingBytes > 0 || this.overlong) this.finish()
  }

  private take(part: Buffer): void {
    if (this.overlong || part.length === 0) return
    if (this.pendingBytes + part.length > MAX_LINE_BYTES) {
      this.overlong = true
      this.pending = []
      this.pendingBytes = 0
      return
    }
    // A copy: the chunk's buffer may be reused once push() returns.
    this.pending.push(Buffer.from(part))
    this.pendingBytes += part.length
  }

  private finish(): void {
    if (this.overlong) this.onSkipped()
    else if (this.pendingBytes > 0) this.onLine(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'))
    this.pending = []
    this.pendingBytes = 0
    this.overlong = false
  }
}

const isQueueName = (name: unknown): name is QueueName => (QUEUE_NAMES as readonly unknown[]).includes(name)
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

interface Decoded {
  message: QueueMessage
  /** Every recipient address, also those beyond MAX_RECIPIENTS_SHOWN (for the search). */
  addresses: string[]
}

function decode(line: string): Decoded | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  }
  catch {
    return undefined
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const o = raw as Record<string, unknown>
  if (typeof o.queue_id !== 'string' || !isQueueId(o.queue_id) || !isQueueName(o.queue_name)) return undefined
  const all: QueueRecipient[] = (Array.isArray(o.recipients) ? o.recipients : []).map((r: unknown) => {
    const rec = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>
    return { address: text(rec.address), delay_reason: typeof rec.delay_reason === 'string' ? rec.delay_reason : null }
  })
  const arrival = typeof o.arrival_time === 'number' && Number.isFinite(o.arrival_time) ? o.arrival_time : 0
  const message: QueueMessage = {
    queue_id: o.queue_id,
    queue_name: o.queue_name,
    arrival_time: new Date(arrival * 1000),
    message_size: typeof o.message_size === 'number' && o.message_size >= 0 ? o.message_size : 0,
    sender: text(o.sender),
    recipients: all.slice(0, MAX_RECIPIENTS_SHOWN),
    recipient_count: all.length,
    forced_expire: o.forced_expire === true,
  }
  return { message, addresses: all.map(r => r.address) }
}

/** One line of `postqueue -j` → a message, or undefined for anything that is not one (members Postfix may add later are ignored). */
export const parseQueueLine = (line: string): QueueMessage | undefined => decode(line)?.message

export interface QueueFilter {
  queue?: QueueName
  /** A literal, case-insensitive substring of the sender or of any recipient (never a pattern). */
  q?: string
}

function matches({ message, addresses }: Decoded, queue: QueueName | undefined, needle: string | undefined): boolean {
  if (queue && message.queue_name !== queue) return false
  if (!needle) return true
  return message.sender.toLowerCase().includes(needle) || addresses.some(a => a.toLowerCase().includes(needle))
}

const emptyCounts = (): Record<QueueName, number> => Object.fromEntries(QUEUE_NAMES.map(n => [n, 0])) as Record<QueueName, number>

/**
 * Counts every message and keeps only the rows of the page asked for, in postqueue's order (queue by
 * queue, as showq walks them: a listing cannot be sorted without holding all of it).
 */
export class QueuePager {
  /** Messages per queue, unfiltered. */
  readonly counts = emptyCounts()
  /** Messages that pass the filter. */
  total = 0
  /** Lines that were not a queue object, or too long. */
  skipped = 0
  readonly rows: QueueMessage[] = []
  private readonly splitter = new LineSplitter(line => this.line(line), () => this.skipped++)
  private readonly first: number
  private readonly limit: number
  private readonly needle: string | undefined

  constructor(private readonly filter: QueueFilter, page: { page: number, limit: number }) {
    this.first = (page.page - 1) * page.limit
    this.limit = page.limit
    this.needle = filter.q ? filter.q.toLowerCase() : undefined
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk)
  }

  end(): void {
    this.splitter.end()
  }

  private line(line: string): void {
    if (!line.trim()) return
    const decoded = decode(line)
    if (!decoded) {
      this.skipped++
      return
    }
    this.counts[decoded.message.queue_name]++
    if (!matches(decoded, this.filter.queue, this.needle)) return
    if (this.total >= this.first && this.rows.length < this.limit) this.rows.push(decoded.message)
    this.total++
  }
}

/** Finds one message by id in the stream (the first with that id: showq may list a message twice while it moves). */
export class QueueFinder {
  found: QueueMessage | undefined
  private readonly splitter: LineSplitter

  constructor(private readonly queueId: string) {
    this.splitter = new LineSplitter(line => this.line(line), () => {})
  }

  push(chunk: Buffer): void {
    if (!this.found) this.splitter.push(chunk)
  }

  end(): void {
    if (!this.found) this.splitter.end()
  }

  private line(line: string): void {
    // Cheap before parsing: the id must appear in the line as a JSON string.
    if (this.found || !line.includes(`"${this.queueId}"`)) return
    const message = parseQueueLine(line)
    if (message?.queue_id === this.queueId) this.found = message
  }
}
