import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { api, createDomain, uniqueDomain, type ApiResponse } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import type { DkimKey } from '#shared/types/dkim'

const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} })
afterAll(() => sql.end({ timeout: 5 }))

const MISSING_ID = 2_147_483_647
const ED25519_KEY_BYTES = 32
const generate = (body: unknown) => api<{ message: string, id: number, key: DkimKey }>('/api/v1/dkim/generate', { body })
const list = (domainId?: number) => api<{ data: DkimKey[] }>(`/api/v1/dkim/list${domainId ? `?domain_id=${domainId}` : ''}`)
const activate = (id: number | string) => api<{ message: string, key: DkimKey }>(`/api/v1/dkim/${id}/activate`, { method: 'POST' })
const retire = (id: number | string) => api<{ message: string, key: DkimKey }>(`/api/v1/dkim/${id}/retire`, { method: 'POST' })
const remove = (id: number | string) => api(`/api/v1/dkim/${id}`, { method: 'DELETE' })

const responses: ApiResponse<unknown>[] = []
const seen = <T>(res: ApiResponse<T>) => {
  responses.push(res as ApiResponse<unknown>)
  return res
}
const auditEntries = () => readFileSync(join(inject('serverRoot'), 'etc/backendside-mailpanel/audit.log'), 'utf8')
  .split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string, target: string, status: number })

describe('DKIM keys', () => {
  it('generate: the first RSA key is active with a 2048-bit default and a split record; the second waits', async () => {
    const domain = await createDomain(uniqueDomain('dkim'))
    const first = seen(await generate({ domain_id: domain.id }))
    expect(first.status).toBe(201)
    expect(first.body.key).toMatchObject({ id: first.body.id, domain_id: domain.id, domain: domain.name, selector: 'mail', algorithm: 'rsa', bits: 2048, status: 'active' })
    const { dns } = first.body.key
    expect(dns.name).toBe(`mail._domainkey.${domain.name}`)
    expect(dns.value).toMatch(/^v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/=]+$/)
    expect(dns.strings.join('')).toBe(dns.value)
    expect(dns.strings.every(s => s.length <= 255)).toBe(true)

    const second = seen(await generate({ domain: domain.name, bits: 1024 }))
    expect(second.status).toBe(201)
    expect(second.body.key).toMatchObject({ selector: 'mail2', bits: 1024, status: 'published', activated_at: null })
    const listed = seen(await list(domain.id))
    expect(listed.body.data.map(k => [k.selector, k.status])).toEqual([['mail', 'active'], ['mail2', 'published']])
    expect(listed.body.data[0]!.dns).toEqual(dns)
  })

  it('rotation: activate makes the new key sign and the old one published; retire and delete follow the rules', async () => {
    const domain = await createDomain(uniqueDomain('dkimrot'))
    const old = (await generate({ domain_id: domain.id, selector: 's2026a', bits: 1024 })).body.key
    const next = (await generate({ domain_id: domain.id, selector: 's2026b', bits: 1024 })).body.key
    expectError(seen(await remove(old.id!)), 409, 'DKIM_KEY_ACTIVE')

    const activated = seen(await activate(next.id!))
    expect(activated.status).toBe(200)
    expect(activated.body.key).toMatchObject({ selector: 's2026b', status: 'active', activated_at: expect.any(String) })
    expect((await list(domain.id)).body.data.map(k => [k.selector, k.status])).toEqual([['s2026a', 'published'], ['s2026b', 'active']])

    const retired = seen(await retire(old.id!))
    expect(retired.body.key).toMatchObject({ status: 'retired', retired_at: expect.any(String) })
    expectError(seen(await activate(old.id!)), 409, 'DKIM_KEY_RETIRED')
    expect(seen(await remove(old.id!)).status).toBe(200)
    expectError(await remove(old.id!), 404, 'DKIM_KEY_NOT_FOUND')
    expect((await list(domain.id)).body.data.map(k => k.selector)).toEqual(['s2026b'])
  })

  it('Ed25519 signs next to RSA: the first of its algorithm is active, rotation stays within the algorithm, bits is a 400', async () => {
    const domain = await createDomain(uniqueDomain('dkimed'))
    const rsa = seen(await generate({ domain_id: domain.id, bits: 1024 })).body.key
    const ed = seen(await generate({ domain_id: domain.id, selector: 'ed', algorithm: 'ed25519' }))
    expect(ed.status).toBe(201)
    expect(ed.body.key).toMatchObject({ algorithm: 'ed25519', bits: 256, status: 'active', activated_at: expect.any(String) })
    expect(ed.body.key.dns.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(ed.body.key.dns.value.replace(/^v=DKIM1; k=ed25519; p=/, ''), 'base64')).toHaveLength(ED25519_KEY_BYTES)
    expect(expectValidation(seen(await generate({ domain_id: domain.id, algorithm: 'ed25519', bits: 2048 })), 'bits').detail).toMatch(/RSA keys only/)

    const ed2 = seen(await generate({ domain_id: domain.id, selector: 'ed2', algorithm: 'ed25519' })).body.key
    expect(ed2.status).toBe('published')
    expect(seen(await activate(ed2.id!)).body.key.status).toBe('active')
    const states = async () => (await list(domain.id)).body.data.map(k => [k.selector, k.algorithm, k.status])
    // The previous Ed25519 key goes back to published; the RSA key keeps signing.
    expect(await states()).toEqual([['ed', 'ed25519', 'published'], ['ed2', 'ed25519', 'active'], ['mail', 'rsa', 'active']])
    expect(seen(await activate(rsa.id!)).body.key.status).toBe('active')
    expect(await states()).toEqual([['ed', 'ed25519', 'published'], ['ed2', 'ed25519', 'active'], ['mail', 'rsa', 'active']])
    // One active key per domain and algorithm, in the database too.
    await expect(sql`UPDATE dkim_keys SET status = 'active' WHERE id = ${ed.body.key.id}`).rejects.toMatchObject({ code: '23505' })
  })

  it('an Ed25519 key migration 0014 set back to published can be activated again', async () => {
    const domain = await createDomain(uniqueDomain('dkimold'))
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-ED25519_KEY_BYTES).toString('base64')
    const [old] = await sql<{ id: number }[]>`
      INSERT INTO dkim_keys (domain_id, selector, algorithm, bits, status, private_key, public_key)
      VALUES (${domain.id}, 'ed', 'ed25519', 256, 'published', ${pem}, ${raw}) RETURNING id::int AS id`
    const activated = seen(await activate(old!.id))
    expect(activated.status).toBe(200)
    expect(activated.body.key).toMatchObject({ selector: 'ed', algorithm: 'ed25519', status: 'active' })
    expect(activated.body.key.dns.value).toBe(`v=DKIM1; k=ed25519; p=${raw}`)
    const [constraint] = await sql`SELECT 1 FROM pg_constraint WHERE conname = 'dkim_keys_only_rsa_signs'`
    expect(constraint).toBeUndefined()
  })

  it('409 for a selector the domain already has; nothing is written', async () => {
    const domain = await createDomain(uniqueDomain('dkimdup'))
    await generate({ domain_id: domain.id, selector: 'dup', bits: 1024 })
    expectError(await generate({ domain_id: domain.id, selector: 'dup', bits: 1024 }), 409, 'DKIM_KEY_EXISTS')
    expect((await list(domain.id)).body.data).toHaveLength(1)
  })

  it('bad input is a 400 naming the field and stores nothing', async () => {
    const domain = await createDomain(uniqueDomain('dkimbad'))
    for (const selector of ['../x', 'a/b', 'a b', '$(x)', '-a', 'a-', 'x'.repeat(64), '', 'a;b']) {
      expectValidation(await generate({ domain_id: domain.id, selector }), 'selector')
    }
    for (const name of ['../etc', 'a/b.example', 'a b.example', '$(x).example']) expectValidation(await generate({ domain: name }), 'domain')
    expectValidation(await generate({ domain_id: domain.id, bits: 512 }), 'bits')
    expectValidation(await generate({ domain_id: domain.id, algorithm: 'dsa' }), 'algorithm')
    expectValidation(await generate({ domain_id: domain.id, domain: domain.name }), 'domain_id')
    expectValidation(await generate({}), 'domain_id')
    expectValidation(await generate({ domain_id: domain.id, private_key: 'x' }), 'private_key')
    expectValidation(await api('/api/v1/dkim/list?domain_id=abc'), 'domain_id')
    expectValidation(await activate('abc'), 'id')
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM dkim_keys WHERE domain_id = ${domain.id}`
    expect(row?.n).toBe(0)
  })

  it('unknown domain or key: 404', async () => {
    expectError(await generate({ domain_id: MISSING_ID }), 404, 'DOMAIN_NOT_FOUND')
    expectError(await generate({ domain: uniqueDomain('nosuch') }), 404, 'DOMAIN_NOT_FOUND')
    expectError(await activate(MISSING_ID), 404, 'DKIM_KEY_NOT_FOUND')
    expectError(await retire(MISSING_ID), 404, 'DKIM_KEY_NOT_FOUND')
    expectError(await remove(MISSING_ID), 404, 'DKIM_KEY_NOT_FOUND')
  })

  it('lists an older install\'s opendkim-genkey file as unmanaged, and will not generate over it', async () => {
    const domain = await createDomain(uniqueDomain('dkimold'))
    const dir = join(inject('serverRoot'), 'etc/opendkim/keys', domain.name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'mail.txt'), `mail._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "
\t  "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC5nMoAW5b3Q9E6SO99vQ15hNdRyZgyuNiGyADXkqwMbwzievNLmXFYswVnuRV2fhBfFCcW0FWDf9wXz1vjsMhA9mmdvRMOs2J0fGNkbMLBwVpNf8r1XFmMax9Y3zOU40Bpd0IDZRQegedaU9KWc1bcI/ZSESEF5+P5UVjNiHOJ1QIDAQAB" )  ; ----- DKIM key mail for ${domain.name}\n`)
    const listed = seen(await list(domain.id))
    expect(listed.body.data).toEqual([expect.objectContaining({ id: null, domain_id: domain.id, selector: 'mail', status: 'unmanaged', bits: 1024, algorithm: 'rsa' })])
    expect(listed.body.data[0]!.dns.value).toMatch(/^v=DKIM1; h=sha256; k=rsa; p=MIGf/)
    expectError(await generate({ domain_id: domain.id, selector: 'mail' }), 409, 'DKIM_KEY_EXISTS')
    const made = await generate({ domain_id: domain.id, bits: 1024 })
    expect(made.body.key.selector).toBe('mail2')
  })

  it('no response carries a private key, and every change is audited', async () => {
    for (const res of responses) expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY|private_key/)
    const all = JSON.stringify((await list()).body)
    expect(all).not.toMatch(/PRIVATE KEY|private_key/)
    const entries = auditEntries()
    for (const action of ['POST /api/v1/dkim/generate', 'POST /api/v1/dkim/:id/activate', 'POST /api/v1/dkim/:id/retire', 'DELETE /api/v1/dkim/:id']) {
      expect(entries.some(e => e.action === action && e.status < 300), action).toBe(true)
    }
    expect(entries.some(e => e.action === 'DELETE /api/v1/dkim/:id' && e.status === 409)).toBe(true)
  })
})
