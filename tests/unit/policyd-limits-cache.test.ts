import { describe, expect, it } from 'vitest'
import type { LimitsVersion, SenderRow } from '#server/db/queries/policyd'
import type { SenderLimits } from '#server/policyd/decide'
import { LimitsCache, MAX_ENTRIES, VERSION_TTL_MS } from '#server/policyd/limits-cache'

// The cache's version logic against a scripted source whose answers can be held back, to place a
// database read before or after a change deterministically. The real database path (triggers,
// two processes) is tested in tests/api/policyd*.test.ts.

const limits = (dailySendLimit: number): SenderLimits =>
  ({ mailboxId: 1, active: true, smtpEnabled: true, requireTls: true, maxMessageSize: 1000, maxRecipients: 5, dailySendLimit })

class Db {
  version = 1
  daily = 3
  reads = 0
  /** While set, reads return what the database held when they started, but only when released. */
  hold: Promise<void> | undefined

  source = {
    version: async (): Promise<LimitsVersion> => {
      this.reads++
      const snapshot = { version: this.version, failMode: 'defer' as const }
      await this.hold
      return snapshot
    },
    sender: async (_domain: string, username: string): Promise<SenderRow> => {
      this.reads++
      const snapshot: SenderRow = { version: this.version, failMode: 'defer', limits: username === 'nobody' ? undefined : limits(this.daily) }
      await this.hold
      return snapshot
    },
  }

  change(daily: number): void {
    this.daily = daily
    this.version++
  }
}

function held(db: Db): () => void {
  let release!: () => void
  db.hold = new Promise(resolve => (release = resolve))
  return () => {
    db.hold = undefined
    release()
  }
}

describe('LimitsCache', () => {
  it('serves repeated lookups from memory and caches unknown logins as null', async () => {
    const db = new Db()
    const cache = new LimitsCache(db.source, () => 0)
    expect(await cache.get('a@example.com')).toEqual(limits(3))
    expect(await cache.get('nobody@example.com')).toBeNull()
    const reads = db.reads
    for (let i = 0; i < 10; i++) {
      await cache.get('a@example.com')
      await cache.get('nobody@example.com')
    }
    expect(db.reads).toBe(reads)
    expect(await cache.get('no-at-sign')).toBeNull()
  })

  it('stays within its cap under a flood of logins it has never seen, keeping the newest', async () => {
    const db = new Db()
    const cache = new LimitsCache(db.source)
    const flood = MAX_ENTRIES + MAX_ENTRIES / 5
    for (let i = 0; i < flood; i++) await cache.get(`stranger${i}@example.com`)
    expect(cache.size).toBeLessThanOrEqual(MAX_ENTRIES)
    expect(cache.size).toBeGreaterThan(MAX_ENTRIES * 0.8)
    const reads = db.reads
    await cache.get(`stranger${flood - 1}@example.com`)
    expect(db.reads).toBe(reads) // the newest is still cached
  })

  it('sees another process\'s change once the version TTL has passed, not before', async () => {
    const db = new Db()
    let now = 0
    const cache = new LimitsCache(db.source, () => now)
    await cache.get('a@example.com')
    db.change(9)
    now = VERSION_TTL_MS - 1
    expect((await cache.get('a@example.com'))!.dailySendLimit).toBe(3)
    now = VERSION_TTL_MS
    expect((await cache.get('a@example.com'))!.dailySendLimit).toBe(9)
  })

  it('sees this process\'s change at once after markStale()', async () => {
    const db = new Db()
    const cache = new LimitsCache(db.source, () => 0)
    await cache.get('a@example.com')
    db.change(9)
    cache.markStale()
    expect((await cache.get('a@example.com'))!.dailySendLimit).toBe(9)
  })

  it('does not let a version check that started before markStale() count as fresh', async () => {
    const db = new Db()
    let now = 0
    const cache = new LimitsCache(db.source, () => now)
    await cache.get('a@example.com')
    now = VERSION_TTL_MS
    const release = held(db)
    const early = cache.get('a@example.com') // its version read sees the old version…
    db.change(9) // …the write commits…
    cache.markStale() // …and the API marks the cache stale before that read returns
    release()
    await early
    expect((await cache.get('a@example.com'))!.dailySendLimit).toBe(9)
  })

  it('never stores a row read before a change the cache already knows of', async () => {
    const db = new Db()
    const cache = new LimitsCache(db.source, () => 0)
    await cache.get('warm@example.com') // version 1 checked
    const release = held(db)
    const slow = cache.get('a@example.com') // reads limit 3 at version 1; the answer is held back
    db.hold = undefined // later reads answer at once
    db.change(9)
    cache.markStale()
    await cache.get('b@example.com') // this cache now knows version 2
    release()
    expect((await slow)!.dailySendLimit).toBe(3) // the old row answers the request that asked…
    expect((await cache.get('a@example.com'))!.dailySendLimit).toBe(9) // …but was not kept
  })

  it('keeps serving the last known limits while the database is down, and retries once per TTL', async () => {
    let up = true
    let calls = 0
    let now = 0
    const cache = new LimitsCache({
      version: async () => {
        calls++
        if (!up) throw new Error('connect ECONNREFUSED')
        return { version: 1, failMode: 'dunno' }
      },
      sender: async () => ({ version: 1, failMode: 'dunno', limits: limits(3) }),
    }, () => now)
    await cache.get('a@example.com')
    expect(cache.failMode).toBe('dunno')
    up = false
    now = VERSION_TTL_MS
    await expect(cache.get('a@example.com')).rejects.toThrow(/ECONNREFUSED/)
    expect(cache.peek('a@example.com')).toEqual(limits(3))
    const before = calls
    await cache.get('a@example.com') // within the TTL of the failed check: no new attempt
    expect(calls).toBe(before)
  })
})
