import { describe, expect, it } from 'vitest'
import type { LimitOverrides, Limits } from '#shared/schemas/limits'
import { mergeLimits } from '../../server/utils/limits'

const server: Limits = { smtp_enabled: true, require_tls: true, max_message_size: 26_214_400, max_recipients: 100, daily_send_limit: 500, quota_mb: 1024 }
const none: LimitOverrides = { smtp_enabled: null, require_tls: null, max_message_size: null, max_recipients: null, daily_send_limit: null, quota_mb: null }

describe('mergeLimits', () => {
  it('falls back to the server tier when nothing is overridden', () => {
    const eff = mergeLimits(server, none, none)
    expect(eff.quota_mb).toEqual({ value: 1024, source: 'server' })
    expect(eff.smtp_enabled).toEqual({ value: true, source: 'server' })
  })

  it('prefers the mailbox over the domain over the server, key by key', () => {
    const eff = mergeLimits(server, { ...none, quota_mb: 2048, daily_send_limit: 50 }, { ...none, quota_mb: 10 })
    expect(eff.quota_mb).toEqual({ value: 10, source: 'mailbox' })
    expect(eff.daily_send_limit).toEqual({ value: 50, source: 'domain' })
    expect(eff.max_recipients).toEqual({ value: 100, source: 'server' })
  })

  it('treats false and 0 as real overrides, not as "unset"', () => {
    const eff = mergeLimits(server, { ...none, smtp_enabled: false }, { ...none, daily_send_limit: 0 })
    expect(eff.smtp_enabled).toEqual({ value: false, source: 'domain' })
    expect(eff.daily_send_limit).toEqual({ value: 0, source: 'mailbox' })
  })
})
