import { consola } from 'consola'
import { scrubSecrets } from '#server/utils/errors'
import type { Counters } from './counters'
import { policy, type SenderLimits, type Verdict } from './decide'
import type { LimitsCache } from './limits-cache'
import type { PolicyAttributes } from './protocol'
import type { PolicyStats } from './stats'

/**
 * One policy request → one verdict: the I/O around the pure rules in decide.ts. Unauthenticated
 * requests never touch the database. When the database fails or is slower than DB_DEADLINE_MS,
 * an authenticated sender gets the fail-mode verdict (policyd_fail_mode), except that limits this
 * process still holds (sending disabled, TLS, size, recipients) are enforced from memory.
 */

// Postfix waits smtpd_policy_service_timeout (100 s) for us; a database that has not answered in
// this long is treated as down, so mail is decided in seconds instead of hanging a session.
export const DB_DEADLINE_MS = 3_000

class DeadlineError extends Error {}

function withDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer from the database within ${DB_DEADLINE_MS} ms`)), DB_DEADLINE_MS)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

export class PolicyService {
  private lastError = ''

  constructor(
    private readonly cache: LimitsCache,
    private readonly counters: Counters,
    readonly stats: PolicyStats,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async decide(attrs: PolicyAttributes): Promise<Verdict> {
    const verdict = await this.verdict(attrs)
    this.stats.record(verdict.kind, verdict.reason)
    return verdict
  }

  private async verdict(attrs: PolicyAttributes): Promise<Verdict> {
    if (attrs.request !== 'smtpd_access_policy') return policy.dunno('not_policy_request')
    const login = policy.sender(attrs)
    if (!login) return policy.dunno('unauthenticated')
    const stage = policy.stage(attrs)
    if (stage === 'ignore') return policy.dunno('allowed')
    if (!policy.possibleMailbox(login)) return policy.dunno('unknown_sender')

    let limits: SenderLimits | null | undefined
    let databaseDown = false
    try {
      limits = await withDeadline(this.cache.get(login))
    }
    catch (err) {
      this.failed(err)
      databaseDown = true
      limits = this.cache.peek(login)
      if (limits === undefined) return policy.failVerdict(this.cache.failMode)
    }
    if (limits === null) return policy.dunno('unknown_sender')
    const refused = policy.checkMessage(attrs, limits)
    if (refused) return refused
    if (stage === 'check' && limits.dailySendLimit === 0) return policy.dunno('allowed')
    // The database just failed us: don't make Postfix wait a second deadline for the count.
    if (databaseDown) return policy.failVerdict(this.cache.failMode)

    try {
      const countBefore = stage === 'count'
        ? (await withDeadline(this.counters.consume(limits.mailboxId, limits.dailySendLimit))).countBefore
        : await withDeadline(this.counters.current(limits.mailboxId))
      this.lastError = ''
      return policy.checkQuota(limits, countBefore, this.clock())
    }
    catch (err) {
      this.failed(err)
      return policy.failVerdict(this.cache.failMode)
    }
  }

  /** One log line per distinct failure, not one per request while the database is down. */
  private failed(err: unknown): void {
    const message = scrubSecrets((err as Error).message ?? String(err))
    if (message !== this.lastError) consola.warn(`Policy daemon: database unavailable (${message}); answering per policyd_fail_mode=${this.cache.failMode}`)
    this.lastError = message
  }
}
