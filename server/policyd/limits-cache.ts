import type { LimitsVersion, SenderRow } from '#server/db/queries/policyd'
import type { FailMode } from '#shared/schemas/policyd'
import type { SenderLimits } from './decide'

/**
 * Effective limits per SASL login, kept in memory: a sender's limits change rarely, its messages
 * come often. Correctness comes from policyd_limits_version, which triggers bump in the same
 * transaction as any change to the three tiers, the active flags, or which mailboxes exist:
 * - this process: every successful API write marks the cache stale (plugin hook), so the next
 *   policy request re-reads the version first — a change is in force at once;
 * - other panel processes: the version is re-read at most VERSION_TTL_MS after the last check, so
 *   a change made elsewhere is in force within that bound (plus one query).
 * PGlite delivers no LISTEN/NOTIFY, so a version poll works the same on both databases.
 * Unknown logins are cached too (as "no mailbox"), so a stranger's attempts cost no queries.
 * While the database is unreachable the last known limits keep being used.
 */

export const VERSION_TTL_MS = 1_000
// Bounded: at the cap the oldest tenth is dropped in one pass (insertion order), not one per insert.
export const MAX_ENTRIES = 100_000

export interface LimitsSource {
  version: () => Promise<LimitsVersion>
  sender: (domain: string, username: string) => Promise<SenderRow>
}

export class LimitsCache {
  private entries = new Map<string, SenderLimits | null>()
  private version = -1
  private checkedAt = 0
  /** True until the first version check, and again after markStale(). */
  private stale = true
  private checking: Promise<void> | undefined
  /** Bumped by markStale(): a version check that started before the last write does not count. */
  private staleGen = 0
  private checkingGen = -1
  private loading = new Map<string, Promise<SenderLimits | null>>()
  /** The last fail mode read from the database (default until the first read). */
  failMode: FailMode = 'defer'

  constructor(private readonly source: LimitsSource, private readonly clock: () => number = Date.now) {}

  /** After a write through this process's API: re-check the version before the next decision. */
  markStale(): void {
    this.stale = true
    this.staleGen++
  }

  /** Limits of `login` (`user@domain`, lower case); null when it is no mailbox of ours. */
  async get(login: string): Promise<SenderLimits | null> {
    if (this.stale || this.clock() - this.checkedAt >= VERSION_TTL_MS) await this.checkVersion()
    const hit = this.entries.get(login)
    if (hit !== undefined) return hit
    let pending = this.loading.get(login)
    if (!pending) {
      pending = this.load(login).finally(() => this.loading.delete(login))
      this.loading.set(login, pending)
    }
    return pending
  }

  /** Whatever is cached for `login`, without touching the database (for decisions during an outage). */
  peek(login: string): SenderLimits | null | undefined {
    return this.entries.get(login)
  }

  get size(): number {
    return this.entries.size
  }

  setFailMode(mode: FailMode): void {
    this.failMode = mode
  }

  private checkVersion(): Promise<void> {
    if (this.checking && this.checkingGen === this.staleGen) return this.checking
    const gen = this.staleGen
    const check: Promise<void> = this.source.version()
      .then(({ version, failMode }) => {
        this.failMode = failMode
        this.adopt(version)
      })
      .finally(() => {
        // Also after a failure: during an outage the version is retried once per TTL, not per request.
        if (gen === this.staleGen) {
          this.stale = false
          this.checkedAt = this.clock()
        }
        if (this.checking === check) this.checking = undefined
      })
    this.checking = check
    this.checkingGen = gen
    return check
  }

  /** A newer version empties the cache; the caller then stores rows of that version only. */
  private adopt(version: number): void {
    if (version > this.version) {
      this.entries.clear()
      this.version = version
    }
  }

  private async load(login: string): Promise<SenderLimits | null> {
    const at = login.lastIndexOf('@')
    if (at <= 0 || at === login.length - 1) return null
    const row = await this.source.sender(login.slice(at + 1), login.slice(0, at))
    this.failMode = row.failMode
    this.adopt(row.version)
    const limits = row.limits ?? null
    // A row read before a change this cache already knows of is used for this request only.
    if (row.version === this.version) {
      if (this.entries.size >= MAX_ENTRIES) this.evictOldest()
      this.entries.set(login, limits)
    }
    return limits
  }

  private evictOldest(): void {
    let drop = Math.ceil(MAX_ENTRIES / 10)
    for (const key of this.entries.keys()) {
      if (drop-- <= 0) break
      this.entries.delete(key)
    }
  }
}
