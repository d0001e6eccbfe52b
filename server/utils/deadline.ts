/** Thrown by `withDeadline` when the work did not settle in time (the work itself is not cancelled). */
export class DeadlineError extends Error {}

/** `work`, or a DeadlineError after `ms`: for probes and scrapes that must answer in bounded time. */
export function withDeadline<T>(work: Promise<T>, ms: number, what = 'the check'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

/**
 * A value that is costly to read (a queue listing, a database sum), read at most once per `ttlMs`
 * and never waited on for longer than `waitMs`: a slow refresh keeps running in the background and
 * the caller gets the previous value meanwhile (or undefined before the first one, or after a
 * failure: a source that cannot be read is absent, not an error).
 */
export class CachedProbe<T> {
  private value: T | undefined
  private readAt = Number.NEGATIVE_INFINITY
  private inFlight: Promise<void> | undefined

  constructor(private readonly read: () => Promise<T | undefined>, private readonly ttlMs: number, private readonly waitMs: number) {}

  async get(): Promise<T | undefined> {
    if (performance.now() - this.readAt < this.ttlMs) return this.value
    this.inFlight ??= this.read().then(
      (value) => {
        this.value = value
      },
      () => {
        this.value = undefined
      },
    ).finally(() => {
      this.readAt = performance.now()
      this.inFlight = undefined
    })
    await withDeadline(this.inFlight, this.waitMs).catch(() => {})
    return this.value
  }
}
