import type { LimitKey, LimitOverrides, Limits } from '#shared/schemas/limits'
import { LIMIT_KEYS } from '#shared/schemas/limits'

export type LimitSource = 'server' | 'domain' | 'mailbox'
export type EffectiveLimits = { [K in LimitKey]: { value: Limits[K], source: LimitSource } }

/** Mailbox override, else domain override, else the server default — and which tier won. */
export function mergeLimits(server: Limits, domain: LimitOverrides, mailbox: LimitOverrides): EffectiveLimits {
  const out = {} as Record<LimitKey, { value: unknown, source: LimitSource }>
  for (const key of LIMIT_KEYS) {
    if (mailbox[key] !== null) out[key] = { value: mailbox[key], source: 'mailbox' }
    else if (domain[key] !== null) out[key] = { value: domain[key], source: 'domain' }
    else out[key] = { value: server[key], source: 'server' }
  }
  return out as EffectiveLimits
}
