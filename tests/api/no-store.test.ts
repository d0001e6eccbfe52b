import { describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { ADMIN_PASSWORD, ADMIN_USER } from '../support/server'

/** Neither a browser nor a proxy may keep a copy: some of these carry a session or an API token. */
function expectNotStored(res: ApiResponse<unknown>, what: string): void {
  expect(res.headers.get('cache-control'), `Cache-Control on ${what}`).toBe('no-store')
  expect(res.headers.get('pragma'), `Pragma on ${what}`).toBe('no-cache')
}

describe('Cache-Control: no-store on every API and sign-in response', () => {
  it('the sign-in response, which carries the session token', async () => {
    const res = await api('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false })
    expect(res.status).toBe(200)
    expectNotStored(res, 'POST /auth/login')
  })

  it('a token creation, which carries the new token', async () => {
    const res = await api('/api/v1/admin/tokens', { body: { name: `no-store-${Date.now()}` } })
    expect(res.status).toBe(201)
    expect(res.body).toHaveProperty('token')
    expectNotStored(res, 'POST /api/v1/admin/tokens')
  })

  it('a list, a refused sign-in, an unknown API path and a wrong method', async () => {
    expectNotStored(await api('/api/v1/domains'), 'GET /api/v1/domains')
    expectNotStored(await api('/auth/login', { body: { username: ADMIN_USER, password: 'wrong' }, auth: false }), 'a 401 sign-in')
    expectNotStored(await api('/api/v1/no-such-thing'), 'an unknown path')
    expectNotStored(await api('/api/v1/domains', { method: 'PATCH' }), 'a wrong method')
    expectNotStored(await api('/api/v1/setup', { body: {}, auth: false }), 'POST /api/v1/setup')
  })
})
