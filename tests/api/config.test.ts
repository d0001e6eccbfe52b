import { describe, expect, it } from 'vitest'
import { api, createDomain, createMailbox, type ApiResponse } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { LimitKey, LimitOverrides, Limits } from '#shared/schemas/limits'
import type { EffectiveLimits, LimitSource as Source } from '#shared/types/directory'

type Overrides = LimitOverrides
type Effective = EffectiveLimits

const KEYS: LimitKey[] = ['smtp_enabled', 'require_tls', 'max_message_size', 'max_recipients', 'daily_send_limit', 'quota_mb']
const NO_OVERRIDES: Overrides = { smtp_enabled: null, require_tls: null, max_message_size: null, max_recipients: null, daily_send_limit: null, quota_mb: null }
const MISSING_ID = 2_147_483_647

/** Values no limit accepts, each with the field it must be reported against. */
const OUT_OF_RANGE: [LimitKey, unknown][] = [
  ['smtp_enabled', 'yes'],
  ['smtp_enabled', 1],
  ['require_tls', 'false'],
  ['max_message_size', 1023],
  ['max_message_size', 0],
  ['max_message_size', -1],
  ['max_message_size', 2048.5],
  ['max_message_size', '2048'],
  ['max_recipients', 0],
  ['max_recipients', -5],
  ['max_recipients', 1.5],
  ['max_recipients', '10'],
  ['daily_send_limit', -1],
  ['daily_send_limit', 0.5],
  ['daily_send_limit', 'many'],
  ['quota_mb', -1],
  ['quota_mb', 10.25],
  ['quota_mb', 'abc'],
  ['quota_mb', true],
]

const getServer = () => api<Limits>('/api/v1/config/server')
const putServer = (body: unknown) => api('/api/v1/config/server', { method: 'PUT', body })
const getDomainConfig = (id: number | string) => api<Overrides>(`/api/v1/domains/${id}/config`)
const putDomainConfig = (id: number | string, body: unknown) => api(`/api/v1/domains/${id}/config`, { method: 'PUT', body })
const getMailboxConfig = (id: number | string) => api<Overrides>(`/api/v1/mailboxes/${id}/config`)
const putMailboxConfig = (id: number | string, body: unknown) => api(`/api/v1/mailboxes/${id}/config`, { method: 'PUT', body })
const getEffective = (id: number | string) => api<Effective>(`/api/v1/mailboxes/${id}/effective-config`)

function expectOk(res: ApiResponse<unknown>): void {
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(res.body).toEqual({ message: expect.any(String) })
}

function expectLimitsShape(body: Limits): void {
  expect(Object.keys(body).sort()).toEqual([...KEYS].sort())
  expect(typeof body.smtp_enabled).toBe('boolean')
  expect(typeof body.require_tls).toBe('boolean')
  for (const key of ['max_message_size', 'max_recipients', 'daily_send_limit', 'quota_mb'] as const) {
    expect(Number.isInteger(body[key]), key).toBe(true)
  }
}

/** Runs `fn`, then puts the server tier back the way it was, whatever happened. */
async function withServerRestored(fn: (original: Limits) => Promise<void>): Promise<void> {
  const original = (await getServer()).body
  try {
    await fn(original)
  }
  finally {
    expectOk(await putServer(original))
  }
}

async function freshMailbox(): Promise<{ domainId: number, mailboxId: number }> {
  const d = await createDomain()
  return { domainId: d.id, mailboxId: await createMailbox(d.id, 'limits') }
}

const sources = (eff: Effective): Record<LimitKey, Source> =>
  Object.fromEntries(KEYS.map(k => [k, eff[k].source])) as Record<LimitKey, Source>

describe('GET/PUT /api/v1/config/server', () => {
  it('GET returns exactly the six limits with their types', async () => {
    const res = await getServer()
    expect(res.status).toBe(200)
    expectLimitsShape(res.body)
    expect(res.body.max_message_size).toBeGreaterThanOrEqual(1024)
    expect(res.body.max_recipients).toBeGreaterThanOrEqual(1)
  })

  it('PUT takes any subset and leaves the other keys alone', async () => {
    await withServerRestored(async (original) => {
      const changed = { max_recipients: original.max_recipients === 77 ? 78 : 77, require_tls: !original.require_tls }
      expectOk(await putServer(changed))
      expect((await getServer()).body).toEqual({ ...original, ...changed })

      const all: Limits = { smtp_enabled: false, require_tls: false, max_message_size: 1024, max_recipients: 100_000, daily_send_limit: 0, quota_mb: 0 }
      expectOk(await putServer(all))
      const got = (await getServer()).body
      expectLimitsShape(got)
      expect(got).toEqual(all)
    })
  })

  it('accepts the largest max_message_size (2147483647)', async () => {
    await withServerRestored(async () => {
      expectOk(await putServer({ max_message_size: 2_147_483_647 }))
      expect((await getServer()).body.max_message_size).toBe(2_147_483_647)
    })
  })

  it.each(KEYS)('PUT %s: null → 400 at the server tier', async (key) => {
    await withServerRestored(async (original) => {
      expectValidation(await putServer({ [key]: null }), key)
      expect((await getServer()).body[key]).toBe(original[key])
    })
  })

  it.each(OUT_OF_RANGE)('PUT %s = %j → 400 naming the field', async (key, value) => {
    await withServerRestored(async (original) => {
      expectValidation(await putServer({ [key]: value }), key)
      expect((await getServer()).body[key]).toBe(original[key])
    })
  })

  // SPEC §2: "Every request body and query is validated; unknown or malformed input is a 400".
  it('rejects unknown query parameters on the config endpoints', async () => {
    const { domainId, mailboxId } = await freshMailbox()
    expectValidation(await api('/api/v1/config/server?tier=domain'), 'tier')
    expectValidation(await api(`/api/v1/domains/${domainId}/config?tier=server`), 'tier')
    expectValidation(await api(`/api/v1/mailboxes/${mailboxId}/config?tier=server`), 'tier')
    expectValidation(await api(`/api/v1/domains/${domainId}/config?dry_run=1`, { method: 'PUT', body: { quota_mb: 1 } }), 'dry_run')
    expect((await getDomainConfig(domainId)).body).toEqual(NO_OVERRIDES)
  })

  it('PUT rejects an empty body, unknown keys and a non-object', async () => {
    expectValidation(await putServer({}))
    expectValidation(await putServer({ max_connections: 5 }), 'max_connections')
    expectValidation(await putServer([{ quota_mb: 5 }]))
  })
})

describe('GET/PUT /api/v1/domains/:id/config', () => {
  it('GET shows null for every unset key', async () => {
    const d = await createDomain()
    const res = await getDomainConfig(d.id)
    expect(res.status).toBe(200)
    expect(res.body).toEqual(NO_OVERRIDES)
  })

  it('PUT sets any subset; null clears one override and leaves the others', async () => {
    const d = await createDomain()
    expectOk(await putDomainConfig(d.id, { quota_mb: 2048, smtp_enabled: false, max_message_size: 10_485_760 }))
    expect((await getDomainConfig(d.id)).body).toEqual({ ...NO_OVERRIDES, quota_mb: 2048, smtp_enabled: false, max_message_size: 10_485_760 })
    expectOk(await putDomainConfig(d.id, { quota_mb: null, daily_send_limit: 0 }))
    expect((await getDomainConfig(d.id)).body).toEqual({ ...NO_OVERRIDES, smtp_enabled: false, max_message_size: 10_485_760, daily_send_limit: 0 })
    expectOk(await putDomainConfig(d.id, { ...NO_OVERRIDES }))
    expect((await getDomainConfig(d.id)).body).toEqual(NO_OVERRIDES)
  })

  it('does not touch the domain itself or another domain', async () => {
    const d = await createDomain()
    const other = await createDomain()
    expectOk(await putDomainConfig(d.id, { max_recipients: 5 }))
    expect((await api(`/api/v1/domains/${d.id}`)).body).toMatchObject({ id: d.id, name: d.name, active: true })
    expect((await getDomainConfig(other.id)).body).toEqual(NO_OVERRIDES)
  })

  it.each(OUT_OF_RANGE)('PUT %s = %j → 400 naming the field', async (key, value) => {
    const d = await createDomain()
    expectValidation(await putDomainConfig(d.id, { [key]: value }), key)
    expect((await getDomainConfig(d.id)).body).toEqual(NO_OVERRIDES)
  })

  it('PUT rejects an empty body and unknown keys', async () => {
    const d = await createDomain()
    expectValidation(await putDomainConfig(d.id, {}))
    expectValidation(await putDomainConfig(d.id, { name: 'x.example' }), 'name')
    expectValidation(await putDomainConfig(d.id, { active: false }), 'active')
  })

  it('answers 404 DOMAIN_NOT_FOUND for a missing domain, 400 for a malformed id', async () => {
    expectError(await getDomainConfig(MISSING_ID), 404, 'DOMAIN_NOT_FOUND')
    expectError(await putDomainConfig(MISSING_ID, { quota_mb: 1 }), 404, 'DOMAIN_NOT_FOUND')
    expectValidation(await getDomainConfig('abc'), 'id')
    expectValidation(await putDomainConfig('0', { quota_mb: 1 }), 'id')
  })
})

describe('GET/PUT /api/v1/mailboxes/:id/config', () => {
  it('GET shows null for every unset key', async () => {
    const { mailboxId } = await freshMailbox()
    const res = await getMailboxConfig(mailboxId)
    expect(res.status).toBe(200)
    expect(res.body).toEqual(NO_OVERRIDES)
  })

  it('PUT sets any subset; null clears', async () => {
    const { mailboxId } = await freshMailbox()
    expectOk(await putMailboxConfig(mailboxId, { require_tls: false, max_recipients: 3 }))
    expect((await getMailboxConfig(mailboxId)).body).toEqual({ ...NO_OVERRIDES, require_tls: false, max_recipients: 3 })
    expectOk(await putMailboxConfig(mailboxId, { max_recipients: null }))
    expect((await getMailboxConfig(mailboxId)).body).toEqual({ ...NO_OVERRIDES, require_tls: false })
  })

  it('shares quota_mb with PUT /mailboxes/:id', async () => {
    const { mailboxId } = await freshMailbox()
    expect((await api(`/api/v1/mailboxes/${mailboxId}`, { method: 'PUT', body: { quota_mb: 9 } })).status).toBe(200)
    expect((await getMailboxConfig(mailboxId)).body.quota_mb).toBe(9)
    expectOk(await putMailboxConfig(mailboxId, { quota_mb: 11 }))
    expect((await api<{ quota_mb: number }>(`/api/v1/mailboxes/${mailboxId}`)).body.quota_mb).toBe(11)
  })

  it.each(OUT_OF_RANGE)('PUT %s = %j → 400 naming the field', async (key, value) => {
    const { mailboxId } = await freshMailbox()
    expectValidation(await putMailboxConfig(mailboxId, { [key]: value }), key)
    expect((await getMailboxConfig(mailboxId)).body).toEqual(NO_OVERRIDES)
  })

  it('PUT rejects an empty body and unknown keys', async () => {
    const { mailboxId } = await freshMailbox()
    expectValidation(await putMailboxConfig(mailboxId, {}))
    expectValidation(await putMailboxConfig(mailboxId, { password: 'x' }), 'password')
  })

  it('answers 404 MAILBOX_NOT_FOUND for a missing mailbox, 400 for a malformed id', async () => {
    expectError(await getMailboxConfig(MISSING_ID), 404, 'MAILBOX_NOT_FOUND')
    expectError(await putMailboxConfig(MISSING_ID, { quota_mb: 1 }), 404, 'MAILBOX_NOT_FOUND')
    expectError(await getEffective(MISSING_ID), 404, 'MAILBOX_NOT_FOUND')
    expectValidation(await getMailboxConfig('x1'), 'id')
    expectValidation(await getEffective('-1'), 'id')
  })
})

describe('GET /api/v1/mailboxes/:id/effective-config', () => {
  it('gives {value, source} for each of the six keys, all from the server at first', async () => {
    const { mailboxId } = await freshMailbox()
    const res = await getEffective(mailboxId)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual([...KEYS].sort())
    for (const key of KEYS) {
      expect(Object.keys(res.body[key]).sort(), key).toEqual(['source', 'value'])
      expect(res.body[key].source, key).toBe('server')
    }
  })

  it('follows the server tier when nothing overrides it', async () => {
    const { mailboxId } = await freshMailbox()
    await withServerRestored(async (original) => {
      const limits: Limits = {
        smtp_enabled: !original.smtp_enabled,
        require_tls: !original.require_tls,
        max_message_size: 5_000_000,
        max_recipients: 42,
        daily_send_limit: 4242,
        quota_mb: 4096,
      }
      expectOk(await putServer(limits))
      const eff = (await getEffective(mailboxId)).body
      for (const key of KEYS) expect(eff[key], key).toEqual({ value: limits[key], source: 'server' })
    })
  })

  it('moves the source server → domain → mailbox as overrides are set, and back as they are cleared', async () => {
    const { domainId, mailboxId } = await freshMailbox()
    const step = async (expected: Source, value?: number) => {
      const eff = (await getEffective(mailboxId)).body
      expect(eff.max_recipients.source).toBe(expected)
      if (value !== undefined) expect(eff.max_recipients.value).toBe(value)
    }
    await step('server')
    expectOk(await putDomainConfig(domainId, { max_recipients: 7 }))
    await step('domain', 7)
    expectOk(await putMailboxConfig(mailboxId, { max_recipients: 3 }))
    await step('mailbox', 3)
    expectOk(await putMailboxConfig(mailboxId, { max_recipients: null }))
    await step('domain', 7)
    expectOk(await putDomainConfig(domainId, { max_recipients: null }))
    await step('server')
  })

  it('resolves each key on its own', async () => {
    const { domainId, mailboxId } = await freshMailbox()
    expectOk(await putDomainConfig(domainId, { quota_mb: 300, daily_send_limit: 50, max_message_size: 2048 }))
    expectOk(await putMailboxConfig(mailboxId, { quota_mb: 10 }))
    const eff = (await getEffective(mailboxId)).body
    expect(sources(eff)).toEqual({ smtp_enabled: 'server', require_tls: 'server', max_message_size: 'domain', max_recipients: 'server', daily_send_limit: 'domain', quota_mb: 'mailbox' })
    expect(eff.quota_mb.value).toBe(10)
    expect(eff.daily_send_limit.value).toBe(50)
    expect(eff.max_message_size.value).toBe(2048)
  })

  it('treats false and 0 as real overrides, not as unset', async () => {
    const { domainId, mailboxId } = await freshMailbox()
    expectOk(await putDomainConfig(domainId, { smtp_enabled: false, quota_mb: 0 }))
    expectOk(await putMailboxConfig(mailboxId, { require_tls: false, daily_send_limit: 0 }))
    const eff = (await getEffective(mailboxId)).body
    expect(eff.smtp_enabled).toEqual({ value: false, source: 'domain' })
    expect(eff.quota_mb).toEqual({ value: 0, source: 'domain' })
    expect(eff.require_tls).toEqual({ value: false, source: 'mailbox' })
    expect(eff.daily_send_limit).toEqual({ value: 0, source: 'mailbox' })
  })

  it('only the mailbox\'s own domain counts', async () => {
    const { mailboxId } = await freshMailbox()
    const other = await createDomain()
    expectOk(await putDomainConfig(other.id, { max_recipients: 9 }))
    expect((await getEffective(mailboxId)).body.max_recipients.source).toBe('server')
  })

  it('the mailbox\'s quota_mb in GET /mailboxes/:id equals the effective quota at every tier', async () => {
    const { domainId, mailboxId } = await freshMailbox()
    const check = async (source: Source) => {
      const eff = (await getEffective(mailboxId)).body.quota_mb
      const mailbox = (await api<{ quota_mb: number }>(`/api/v1/mailboxes/${mailboxId}`)).body
      expect(eff.source).toBe(source)
      expect(mailbox.quota_mb).toBe(eff.value)
    }
    await check('server')
    expectOk(await putDomainConfig(domainId, { quota_mb: 555 }))
    await check('domain')
    expectOk(await putMailboxConfig(mailboxId, { quota_mb: 55 }))
    await check('mailbox')
    expectOk(await putMailboxConfig(mailboxId, { quota_mb: null }))
    await check('domain')
  })
})
