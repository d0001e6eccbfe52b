/**
 * Coalesces concurrent calls into one database statement. An item waits at most until the next
 * turn of the event loop, or, under load, until one of the MAX_IN_FLIGHT statements returns; so at
 * low load nothing is delayed and at high load one round trip (and one commit) serves many
 * requests. This is what lets 20 busy Postfix connections share a handful of queries.
 */

// 4 rather than 2: same throughput, a little lower latency in the bench (6,985 vs 6,303 req/s, noisy machine).
const MAX_IN_FLIGHT = 4
const MAX_BATCH = 1_000

interface Pending<I, O> {
  item: I
  resolve: (out: O) => void
  reject: (err: unknown) => void
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = []
  private inFlight = 0
  private scheduled = false

  /** `run` answers each item, in order. */
  constructor(private readonly run: (items: I[]) => Promise<O[]>) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.schedule()
    })
  }

  /** Resolves once nothing is queued or running (for a clean shutdown). */
  async idle(): Promise<void> {
    while (this.queue.length || this.inFlight) await new Promise(resolve => setTimeout(resolve, 5))
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    if (!this.queue.length || this.inFlight >= MAX_IN_FLIGHT) return
    const batch = this.queue.splice(0, MAX_BATCH)
    this.inFlight++
    let results: Promise<O[]>
    try {
      results = this.run(batch.map(p => p.item))
    }
    catch (err) {
      results = Promise.reject(err)
    }
    results
      .then(outs => batch.forEach((p, i) => p.resolve(outs[i]!)), err => batch.forEach(p => p.reject(err)))
      .finally(() => {
        this.inFlight--
        if (this.queue.length) this.schedule()
      })
  }
}
