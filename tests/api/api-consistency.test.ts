import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, createAlias, createDomain, createMailbox, type ApiResponse } from '../support/client'
import { expectError, expectValidation } from '../support/expect'

const API_DIR = join(process.cwd(), 'server/api/v1')
// Setup is closed on the shared server (409 before its body is read; request-body.test.ts covers it).
const NOT_JSON_BODIES = new Set(['setup/index.post.ts'])
// A person's sentence: "field: must …", never valibot's "Invalid key: Expected never but received …".
const HUMAN_DETAIL = /^[a-z_.0-9]+: [a-z]/
const LIBRARY_WORDING = /Expected|Invalid (?:key|type|value|length)|received/

/** Every part of a validation detail reads "field: sentence" in our words. */
function expectHumanDetail(res: ApiResponse<unknown>, what: string): void {
  const { detail } = expectValidation(res)
  for (const part of detail.split('; ')) expect(part, `${what}: ${detail}`).toMatch(HUMAN_DETAIL)
  expect(detail, what).not.toMatch(LIBRARY_WORDING)
}

/** Every route file that reads a JSON body (readValidBody), as method + concrete path (`[id]` → 999999). */
function bodyRoutes(): { method: string, path: string }[] {
  return readdirSync(API_DIR, { recursive: true, encoding: 'utf8' })
    .map(f => f.split('\\').join('/'))
    .filter(f => /\.(post|put|patch)\.ts$/.test(f) && !NOT_JSON_BODIES.has(f) && readFileSync(join(API_DIR, f), 'utf8').includes('readValidBody('))
    .map((file) => {
      const [, route, method] = /^(.*?)\.(post|put|patch)\.ts$/.exec(file)!
      return { method: method!.toUpperCase(), path: `/api/v1/${route!.replace(/\[[^\]]+\]/g, '999999').replace(/(^|\/)index$/, '')}`.replace(/\/$/, '') }
    })
}

describe('a wrong method on an existing path', () => {
  it.each([
    ['PATCH', '/api/v1/domains', 'GET, HEAD, POST'],
    ['POST', '/api/v1/domains/1', 'DELETE, GET, HEAD, PUT'],
    ['DELETE', '/api/v1/mailboxes/1/password', 'PATCH'],
    ['GET', '/auth/login', 'POST'],
    ['PUT', '/api/v1/admin/audit-log', 'GET, HEAD'],
  ])('%s %s is 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, path, allow) => {
    const res = await api(path, { method })
    expectError(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe(allow)
  })

  it('an unknown path is still a 404', async () => {
    expectError(await api('/api/v1/no-such-thing', { method: 'PATCH' }), 404, 'ROUTE_NOT_FOUND')
    expectError(await api('/auth/nothing-here'), 404, 'ROUTE_NOT_FOUND')
  })
})

describe('validation details are written for people, the same for bodies and queries', () => {
  const routes = bodyRoutes()

  it('finds the endpoints that take a body (sanity check of the enumeration)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15)
    expect(routes).toContainEqual({ method: 'POST', path: '/api/v1/domains' })
  })

  it.each(routes.map(r => [`${r.method} ${r.path}`, r] as const))('%s: an unknown key, a body of the wrong type', async (_, route) => {
    for (const body of [{ colour: 'red' }, [], 'text', 42]) {
      const res = await api(route.path, { method: route.method, body })
      if (res.status === 404 || res.status === 409) continue // the id does not exist / not applicable: nothing to validate
      expectHumanDetail(res, `${route.method} ${route.path} ${JSON.stringify(body)}`)
    }
  })

  it('an unknown key names the key and says it is not a field of this request', async () => {
    expect(expectValidation(await api('/api/v1/domains', { body: { name: 'x.example', colour: 'red' } })).detail).toBe('colour: is not a field of this request')
  })

  it.each([
    ['POST', '/api/v1/domains', { name: 1 }, 'name: must be a string'],
    ['POST', '/api/v1/domains', {}, 'name: is required'],
    ['PUT', '/api/v1/domains/999999', { active: 'yes' }, 'active: must be true or false'],
    ['POST', '/api/v1/mailboxes', { domain_id: 'x', username: 'a', password: 'long-enough-1' }, 'domain_id: must be a number'],
    ['POST', '/api/v1/mailboxes', { domain_id: 0, username: 'a', password: 'long-enough-1' }, 'domain_id: must be at least 1'],
    ['POST', '/api/v1/aliases', { domain_id: 1, source: 'a', destinations: 'x' }, 'destinations: must be a list of email addresses'],
    ['PUT', '/api/v1/config/server', { max_recipients: -1 }, undefined],
    ['PUT', '/api/v1/config/server', { smtp_enabled: 'x' }, undefined],
    ['PUT', '/api/v1/security/settings', { login_rate_limit: 0 }, undefined],
    ['PUT', '/api/v1/security/settings', { admin_login_whitelist: 'x' }, undefined],
    ['PUT', '/api/v1/policyd/settings', { policyd_fail_mode: 'sometimes' }, undefined],
    ['POST', '/api/v1/admin/tokens', { name: 5 }, 'name: must be a string'],
    ['POST', '/api/v1/admin/webhooks', { url: 5 }, undefined],
    ['POST', '/auth/login', { username: 1, password: 'x' }, 'username: must be a string'],
  ])('%s %s %j', async (method, path, body, exact) => {
    const res = await api(path, { method, body, auth: path !== '/auth/login' })
    expectHumanDetail(res, `${method} ${path}`)
    if (exact) expect(res.body).toMatchObject({ detail: exact })
  })

  it.each([
    ['/api/v1/domains?limit=501', 'limit: must be at most 500'],
    ['/api/v1/domains?limit=0', 'limit: must be at least 1'],
    ['/api/v1/domains?page=x', undefined],
    ['/api/v1/domains?colour=red', 'colour: is not a field of this request'],
    ['/api/v1/mailboxes?domain_id=x', undefined],
    ['/api/v1/admin/audit-log?limit=1000', 'limit: must be at most 500'],
    ['/api/v1/me?colour=red', undefined],
  ])('GET %s', async (path, exact) => {
    const res = await api(path)
    expectHumanDetail(res, path)
    if (exact) expect(res.body).toMatchObject({ detail: exact })
  })
})

describe('addresses', () => {
  let domain: { id: number, name: string }

  beforeAll(async () => {
    domain = await createDomain()
  })

  it('an alias whose source is an existing mailbox is 409 MAILBOX_EXISTS, and nothing is created', async () => {
    await createMailbox(domain.id, 'shadowed')
    const res = await api('/api/v1/aliases', { body: { domain_id: domain.id, source: 'shadowed', destinations: ['else@elsewhere.example'] } })
    expectError(res, 409, 'MAILBOX_EXISTS')
    expect((await api<{ alias_count: number }>(`/api/v1/domains/${domain.id}`)).body.alias_count).toBe(0)
  })

  it('a mailbox where an alias with that address exists is 409 ALIAS_EXISTS', async () => {
    await createAlias(domain.id, 'forwarder')
    const res = await api('/api/v1/mailboxes', { body: { domain_id: domain.id, username: `forwarder@${domain.name}`, password: 'mailbox-pass-123' } })
    expectError(res, 409, 'ALIAS_EXISTS')
  })

  it('twenty racing creates of one address (half mailboxes, half aliases) leave exactly one', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => i % 2
      ? api('/api/v1/mailboxes', { body: { domain_id: domain.id, username: 'contested', password: 'mailbox-pass-123' } })
      : api('/api/v1/aliases', { body: { domain_id: domain.id, source: 'contested', destinations: ['else@elsewhere.example'] } })))
    expect(results.filter(r => r.status === 201)).toHaveLength(1)
    expect(results.filter(r => r.status === 409)).toHaveLength(19)
  })

  it('an alias that points only at itself is a 400 (a loop); itself among others is accepted', async () => {
    const self = `loop@${domain.name}`
    expectValidation(await api('/api/v1/aliases', { body: { domain_id: domain.id, source: 'loop', destinations: [self] } }), 'destinations')
    const id = await createAlias(domain.id, 'loop', [self, 'other@elsewhere.example'])
    expectValidation(await api(`/api/v1/aliases/${id}`, { method: 'PUT', body: { destinations: [self] } }), 'destinations')
  })

  it.each(['exa', 'example.co', 'elsewhere.example'])('user@%s in another domain says which domain the address must be in', async (suffix) => {
    const mailbox = expectValidation(await api('/api/v1/mailboxes', { body: { domain_id: domain.id, username: `bob@${suffix}`, password: 'mailbox-pass-123' } }), 'username')
    expect(mailbox.detail).toMatch(new RegExp(`^username: the address must be in ${domain.name.replace(/\./g, '\\.')}\\b`))
    const alias = expectValidation(await api('/api/v1/aliases', { body: { domain_id: domain.id, source: `bob@${suffix}`, destinations: ['x@elsewhere.example'] } }), 'source')
    expect(alias.detail).toMatch(new RegExp(`^source: the address must be in ${domain.name.replace(/\./g, '\\.')}\\b`))
  })
})

describe('domains carry their mailbox and alias counts', () => {
  it('counts follow creates and deletes, in the list and in the single GET', async () => {
    const domain = await createDomain()
    const counts = async () => {
      const one = (await api<{ mailbox_count: number, alias_count: number }>(`/api/v1/domains/${domain.id}`)).body
      const list = (await api<{ data: { id: number, mailbox_count: number, alias_count: number }[] }>(`/api/v1/domains?search=${domain.name}`)).body.data.find(d => d.id === domain.id)
      expect(list).toMatchObject({ mailbox_count: one.mailbox_count, alias_count: one.alias_count })
      return [one.mailbox_count, one.alias_count]
    }
    expect(await counts()).toEqual([0, 0])
    const mailboxes = [await createMailbox(domain.id, 'one'), await createMailbox(domain.id, 'two')]
    const aliases = [await createAlias(domain.id, 'sales'), await createAlias(domain.id, 'info'), await createAlias(domain.id, `@${domain.name}`)]
    expect(await counts()).toEqual([2, 3])
    expect((await api(`/api/v1/mailboxes/${mailboxes[0]}`, { method: 'DELETE' })).status).toBe(200)
    expect((await api(`/api/v1/aliases/${aliases[2]}`, { method: 'DELETE' })).status).toBe(200)
    expect(await counts()).toEqual([1, 2])
  })
})
