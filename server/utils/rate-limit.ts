const SECONDS_PER_MINUTE = 60

interface Bucket {
  tokens: number
  updatedAt: number
}

/**
 * Per-key token buckets (capacity = the per-minute limit, refilled continuously). Memory is bounded:
 * past `maxKeys` the least recently seen key is dropped, which at worst gives a flood of fresh IPs
 * a full bucket each — it can never grow the map.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly maxKeys = 100_000) {}

  get size(): number {
    return this.buckets.size
  }

  /** Takes one token for `key`; false when the bucket is empty. `now` is in milliseconds. */
  take(key: string, perMinute: number, now = Date.now()): boolean {
    const bucket = this.buckets.get(key)
    let tokens = perMinute
    if (bucket) {
      const elapsed = Math.max(0, now - bucket.updatedAt) / 1000
      tokens = Math.min(perMinute, bucket.tokens + elapsed * perMinute / SECONDS_PER_MINUTE)
      this.buckets.delete(key) // re-insert below: Map order is then least-recently-seen first
    }
    else if (this.buckets.size >= this.maxKeys) {
      this.evictOldest()
    }
    const allowed = tokens >= 1
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, updatedAt: now })
    return allowed
  }

  /**
   * Drops the least recently seen 1 % in one pass: deleting one key per call from the front of a
   * Map full of tombstones costs O(tombstones) each time, which a flood of new IPs would exploit.
   */
  private evictOldest(): void {
    let toDrop = Math.max(1, Math.ceil(this.maxKeys / 100))
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key)
      if (--toDrop === 0) break
    }
  }

  clear(): void {
    this.buckets.clear()
  }
}
