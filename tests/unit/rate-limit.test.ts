import { describe, expect, it } from 'vitest'
import { RateLimiter } from '#server/utils/rate-limit'

const SECOND = 1000
const T0 = 1_700_000_000_000
const MAX_KEYS = 100_000
const FLOOD_KEYS = 200_000
const CHURN_TAKES = 400_000
const FLOOD_BUDGET_MS = 3_000
const FLOOD_TIMEOUT_MS = 60_000

/** A distinct IPv4-looking key per i. */
const floodKey = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`

/** How many of `attempts` takes at instant `now` succeed. */
function drain(limiter: RateLimiter, key: string, perMinute: number, attempts: number, now: number): number {
  let passed = 0
  for (let i = 0; i < attempts; i++) if (limiter.take(key, perMinute, now)) passed++
  return passed
}

describe('RateLimiter', () => {
  it('lets a full bucket through, then refuses', () => {
    const limiter = new RateLimiter()
    expect(drain(limiter, 'a', 5, 5, T0)).toBe(5)
    expect(limiter.take('a', 5, T0)).toBe(false)
  })

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter()
    expect(drain(limiter, 'a', 5, 6, T0)).toBe(5)
    expect(limiter.take('b', 5, T0)).toBe(true)
    expect(limiter.size).toBe(2)
  })

  it('gives one token back after 12 s at 5 per minute, and not before', () => {
    const limiter = new RateLimiter()
    drain(limiter, 'a', 5, 5, T0)
    expect(limiter.take('a', 5, T0 + 11 * SECOND)).toBe(false)
    expect(limiter.take('a', 5, T0 + 12 * SECOND)).toBe(true)
    expect(limiter.take('a', 5, T0 + 12 * SECOND)).toBe(false)
  })

  it('does not lose the refill that accrues while requests are being refused', () => {
    const limiter = new RateLimiter()
    drain(limiter, 'a', 5, 5, T0)
    // Refused at 6 s (half a token has accrued), then allowed at 12 s: the half is kept.
    expect(limiter.take('a', 5, T0 + 6 * SECOND)).toBe(false)
    expect(limiter.take('a', 5, T0 + 12 * SECOND)).toBe(true)
  })

  it('refills one token a second at 60 per minute', () => {
    const limiter = new RateLimiter()
    expect(drain(limiter, 'a', 60, 61, T0)).toBe(60)
    expect(drain(limiter, 'a', 60, 10, T0 + 3 * SECOND)).toBe(3)
  })

  it('never holds more than its capacity, however long the key stays idle', () => {
    const limiter = new RateLimiter()
    drain(limiter, 'a', 5, 5, T0)
    expect(drain(limiter, 'a', 5, 20, T0 + 24 * 60 * 60 * SECOND)).toBe(5)
  })

  it('applies a lowered limit to an existing bucket at once', () => {
    const limiter = new RateLimiter()
    expect(limiter.take('a', 60, T0)).toBe(true)
    // 59 tokens left at 60/min; at 3/min the bucket holds at most 3.
    expect(drain(limiter, 'a', 3, 10, T0)).toBe(3)
  })

  it('does not mint tokens when the clock goes backwards', () => {
    const limiter = new RateLimiter()
    drain(limiter, 'a', 5, 5, T0)
    expect(limiter.take('a', 5, T0 - 60 * SECOND)).toBe(false)
  })

  it('stays within maxKeys under a flood of distinct keys', () => {
    const limiter = new RateLimiter(MAX_KEYS)
    let peak = 0
    for (let i = 0; i < FLOOD_KEYS; i++) {
      limiter.take(floodKey(i), 60, T0 + i)
      if (limiter.size > peak) peak = limiter.size
    }
    expect(peak).toBeLessThanOrEqual(MAX_KEYS)
    expect(limiter.size).toBe(MAX_KEYS)
  }, FLOOD_TIMEOUT_MS)

  it('evicts cheaply once full, so a flood of fresh addresses cannot stall the event loop', () => {
    // Each request from a new address past maxKeys evicts one bucket. That must stay O(1): a
    // batch-evicting map does these 400k takes (300k evictions) in well under a second.
    const limiter = new RateLimiter(MAX_KEYS)
    const started = performance.now()
    let done = 0
    while (done < CHURN_TAKES && performance.now() - started < FLOOD_BUDGET_MS) {
      limiter.take(floodKey(done), 60, T0 + done)
      done++
    }
    expect(done, `only ${done} takes in ${FLOOD_BUDGET_MS} ms`).toBe(CHURN_TAKES)
  }, FLOOD_TIMEOUT_MS)

  it('evicts the least recently seen key first, so an active client keeps its (empty) bucket', () => {
    const limiter = new RateLimiter(3)
    drain(limiter, 'busy', 5, 5, T0)
    limiter.take('x', 5, T0)
    limiter.take('y', 5, T0)
    limiter.take('busy', 5, T0) // refused, but marks `busy` as recently seen
    limiter.take('z', 5, T0) // evicts `x`, the oldest
    expect(limiter.size).toBe(3)
    expect(limiter.take('busy', 5, T0)).toBe(false)
  })

  it('forgets every bucket on clear()', () => {
    const limiter = new RateLimiter()
    drain(limiter, 'a', 5, 5, T0)
    limiter.clear()
    expect(limiter.size).toBe(0)
    expect(limiter.take('a', 5, T0)).toBe(true)
  })
})
