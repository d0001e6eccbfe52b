import { describe, expect, it } from 'vitest'
import { policy, utcDay, type SenderLimits } from '#server/policyd/decide'

const limits: SenderLimits = { mailboxId: 7, active: true, smtpEnabled: true, requireTls: true, maxMessageSize: 10_000, maxRecipients: 5, dailySendLimit: 3 }
const rcpt = { request: 'smtpd_access_policy', protocol_state: 'RCPT', sasl_username: 'a@example.com', encryption_protocol: 'TLSv1.3', size: '0', recipient_count: '0' }
const eom = { ...rcpt, protocol_state: 'END-OF-MESSAGE', size: '2048', recipient_count: '1' }
const NOON = new Date('2026-11-26T12:00:00Z')

describe('policy.stage and policy.sender', () => {
  it('counts at END-OF-MESSAGE, checks at RCPT, MAIL and DATA, ignores everything else', () => {
    expect(policy.stage(eom)).toBe('count')
    for (const s of ['RCPT', 'MAIL', 'DATA']) expect(policy.stage({ protocol_state: s })).toBe('check')
    for (const s of ['CONNECT', 'EHLO', 'HELO', 'VRFY', 'ETRN', '', 'rcpt']) expect(policy.stage({ protocol_state: s })).toBe('ignore')
    expect(policy.stage({})).toBe('ignore')
  })

  it('takes the SASL login lower-cased; no login means unauthenticated', () => {
    expect(policy.sender({ sasl_username: 'Alice@Example.COM' })).toBe('alice@example.com')
    expect(policy.sender({ sasl_username: '' })).toBeUndefined()
    expect(policy.sender({})).toBeUndefined()
  })
})

describe('policy.checkMessage', () => {
  it('passes a message within every limit', () => {
    expect(policy.checkMessage(rcpt, limits)).toBeUndefined()
    expect(policy.checkMessage(eom, limits)).toBeUndefined()
  })

  it('refuses an inactive mailbox before anything else, then disabled sending', () => {
    expect(policy.checkMessage({ ...eom, size: '99999999' }, { ...limits, active: false })).toMatchObject({ kind: 'reject', reason: 'mailbox_disabled', action: expect.stringMatching(/^550 5\.7\.1 /) })
    expect(policy.checkMessage(rcpt, { ...limits, smtpEnabled: false })).toMatchObject({ kind: 'reject', reason: 'smtp_disabled', action: expect.stringMatching(/^550 5\.7\.1 /) })
  })

  it('refuses a session without TLS only when TLS is required', () => {
    const plain = { ...rcpt, encryption_protocol: '' }
    expect(policy.checkMessage(plain, limits)).toMatchObject({ kind: 'reject', reason: 'tls_required', action: expect.stringMatching(/^530 5\.7\.0 /) })
    const { encryption_protocol: _absent, ...missing } = rcpt
    expect(policy.checkMessage(missing, limits)?.reason).toBe('tls_required')
    expect(policy.checkMessage(plain, { ...limits, requireTls: false })).toBeUndefined()
  })

  it('enforces the size limit inclusively, on the declared size at RCPT and the real one at END-OF-MESSAGE', () => {
    expect(policy.checkMessage({ ...rcpt, size: '10000' }, limits)).toBeUndefined()
    expect(policy.checkMessage({ ...rcpt, size: '10001' }, limits)).toMatchObject({ kind: 'reject', reason: 'message_size', action: expect.stringMatching(/^552 5\.3\.4 .*10001 bytes.*10000 bytes/) })
    expect(policy.checkMessage({ ...eom, size: '10001' }, limits)?.reason).toBe('message_size')
    // Absent or non-numeric sizes count as "not declared".
    for (const size of ['', 'abc', '-5', '1e9']) expect(policy.checkMessage({ ...rcpt, size }, limits)).toBeUndefined()
  })

  it('enforces recipients per message inclusively; 0 (RCPT stage) is never over', () => {
    expect(policy.checkMessage({ ...eom, recipient_count: '5' }, limits)).toBeUndefined()
    expect(policy.checkMessage({ ...eom, recipient_count: '6' }, limits)).toMatchObject({ kind: 'reject', reason: 'recipients', action: expect.stringMatching(/^550 5\.5\.3 .*6.*at most 5/) })
    expect(policy.checkMessage({ ...rcpt, recipient_count: '0' }, { ...limits, maxRecipients: 1 })).toBeUndefined()
  })
})

describe('policy.checkQuota', () => {
  it('allows while the count before this message is below the limit, defers with a 4xx at the limit', () => {
    expect(policy.checkQuota(limits, 0, NOON)).toEqual({ kind: 'dunno', reason: 'allowed', action: 'DUNNO' })
    expect(policy.checkQuota(limits, 2, NOON).kind).toBe('dunno')
    const refused = policy.checkQuota(limits, 3, NOON)
    expect(refused).toMatchObject({ kind: 'defer', reason: 'daily_limit' })
    expect(refused.action).toBe('450 4.7.1 Daily sending limit reached: this mailbox may send 3 messages per day; the count resets at 00:00 UTC (in 12 h 0 min)')
    expect(policy.checkQuota(limits, 99, NOON).kind).toBe('defer')
    expect(policy.checkQuota({ ...limits, dailySendLimit: 1 }, 1, NOON).action).toContain('may send 1 message per day')
  })

  it('treats a limit of 0 as unlimited', () => {
    expect(policy.checkQuota({ ...limits, dailySendLimit: 0 }, 1_000_000, NOON).kind).toBe('dunno')
  })

  it('says how long until 00:00 UTC, never "0 min"', () => {
    expect(policy.checkQuota(limits, 3, new Date('2026-11-26T23:59:59.999Z')).action).toMatch(/\(in 1 min\)$/)
    expect(policy.checkQuota(limits, 3, new Date('2026-11-26T23:15:00Z')).action).toMatch(/\(in 45 min\)$/)
    expect(policy.checkQuota(limits, 3, new Date('2026-11-26T00:00:00Z')).action).toMatch(/\(in 24 h 0 min\)$/)
  })
})

describe('utcDay (the counter key): the day turns at midnight UTC, whatever the local time zone', () => {
  it('puts the last millisecond before midnight and midnight itself on different days', () => {
    expect(utcDay(new Date('2026-11-26T23:59:59.999Z'))).toBe('2026-11-26')
    expect(utcDay(new Date('2026-11-27T00:00:00.000Z'))).toBe('2026-11-27')
    expect(utcDay(new Date('2026-11-27T00:30:00+01:00'))).toBe('2026-11-26')
    expect(utcDay(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31')
    expect(utcDay(new Date('2027-01-01T00:00:00Z'))).toBe('2027-01-01')
  })
})

describe('policy.failVerdict', () => {
  it('defers with a 4xx or lets the message through, per policyd_fail_mode', () => {
    expect(policy.failVerdict('defer')).toMatchObject({ kind: 'defer', reason: 'database_unavailable', action: expect.stringMatching(/^451 4\.3\.0 /) })
    expect(policy.failVerdict('dunno')).toEqual({ kind: 'dunno', reason: 'database_unavailable', action: 'DUNNO' })
  })
})
