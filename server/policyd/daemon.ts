import type { FailMode } from '#shared/schemas/policyd'
import { policydDb } from '#server/db/queries/policyd'
import { Counters } from './counters'
import { LimitsCache } from './limits-cache'
import { MAX_CONNECTIONS, PolicyServer, type ListenAddress } from './server'
import { PolicyService } from './service'
import { PolicyStats } from './stats'
import type { PolicydStatus } from '#shared/types/policyd'

// How many of today's senders GET /policyd/status lists (busiest first); the totals cover all.
const USAGE_TOP = 100
// On shutdown, requests already received get this long to be answered before connections are cut.
const CLOSE_GRACE_MS = 5_000

export class ListenError extends Error {}

/** `127.0.0.1:10031`, `[::1]:10031` or `localhost:0` (0 = any free port, for tests). */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i.exec(value.trim())
  const port = Number(match?.[3])
  if (!match || port > 65535) throw new ListenError(`POLICYD_LISTEN must be host:port (e.g. 127.0.0.1:10031), got "${value}"`)
  return { host: (match[1] ?? match[2])!, port }
}

/** The one policy daemon of this panel process: started and stopped by server/plugins/policyd.ts, read by the API. */
class PolicyDaemon {
  readonly stats = new PolicyStats()
  readonly cache = new LimitsCache(policydDb)
  readonly counters = new Counters(policydDb)
  private readonly service = new PolicyService(this.cache, this.counters, this.stats)
  private readonly server = new PolicyServer(attrs => this.service.decide(attrs), this.stats)
  private listen = ''
  private lastError: string | null = null

  async start(listen: string): Promise<ListenAddress> {
    this.listen = listen
    try {
      const { host, port } = parseListen(listen)
      const bound = await this.server.listen(host, port)
      this.lastError = null
      return bound
    }
    catch (err) {
      this.lastError = (err as Error).message
      throw err
    }
  }

  async stop(): Promise<void> {
    await this.server.close(CLOSE_GRACE_MS)
    await this.counters.idle()
  }

  /** Where the server is listening (port 0 in the setting becomes the real port), or undefined. */
  boundAddress(): ListenAddress | undefined {
    return this.server.address
  }

  /** A write through the API may have changed someone's limits: re-check before the next decision. */
  limitsMayHaveChanged(): void {
    this.cache.markStale()
  }

  async status(): Promise<PolicydStatus> {
    const day = this.counters.today()
    const [usage, failMode] = await Promise.all([policydDb.usage(day, USAGE_TOP), policydDb.failMode()])
    const s = this.stats
    const bound = this.server.address
    return {
      listening: Boolean(bound),
      listen: this.listen,
      address: bound?.host ?? null,
      port: bound?.port ?? null,
      error: this.lastError,
      fail_mode: failMode,
      connections: { current: this.server.connectionCount, total: s.connectionsTotal, max: MAX_CONNECTIONS, closed_idle: s.connectionsClosedIdle, refused: s.connectionsRefused },
      requests: { total: s.requests, protocol_errors: s.protocolErrors, timeouts: s.requestTimeouts },
      decisions: { ...s.decisions },
      reasons: { ...s.reasons },
      cached_senders: this.cache.size,
      usage: { day, ...usage },
    }
  }

  /** Clears today's count of a mailbox; undefined if there is no such mailbox. */
  reset(mailboxId: number): Promise<{ cleared: number } | undefined> {
    return policydDb.reset(this.counters.today(), mailboxId)
  }

  async setFailMode(mode: FailMode): Promise<void> {
    this.cache.setFailMode(await policydDb.setFailMode(mode))
  }
}

export const policyd = new PolicyDaemon()
