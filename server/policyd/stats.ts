import type { VerdictKind, VerdictReason } from '#shared/types/policyd'

/** In-memory counters of this process since it started (GET /api/v1/policyd/status); each panel process has its own. */
export class PolicyStats {
  connectionsTotal = 0
  /** Connections closed for idling past the limit, or dropped to admit a new one at the connection cap. */
  connectionsClosedIdle = 0
  /** New connections refused because the cap was reached and none could be dropped. */
  connectionsRefused = 0
  requests = 0
  protocolErrors = 0
  /** Requests that took longer than the request deadline to arrive (slow or stuck clients). */
  requestTimeouts = 0
  decisions: Record<VerdictKind, number> = { dunno: 0, reject: 0, defer: 0 }
  reasons: Partial<Record<VerdictReason, number>> = {}

  record(kind: VerdictKind, reason: VerdictReason): void {
    this.requests++
    this.decisions[kind]++
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1
  }
}
