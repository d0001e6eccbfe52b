import { describe, expect, it } from 'vitest'
import type { SessionState } from '#shared/types/access'
import { api } from '../support/client'
import { ADMIN_PASSWORD, ADMIN_USER } from '../support/server'

const COOKIE = 'mailpanel_session'

const session = (cookie?: string) =>
  api<SessionState>('/auth/session', { auth: false, headers: cookie === undefined ? {} : { cookie: `${COOKIE}=${cookie}` } })

async function signIn(): Promise<string> {
  const res = await api<{ token: string }>('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false })
  expect(res.status).toBe(200)
  return res.body.token
}

describe('GET /auth/session (the dashboard asks before it shows the sign-in page)', () => {
  it('answers 200 signed out, not 401, when there is no cookie', async () => {
    const res = await session()
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ signed_in: false })
    expect(res.headers.get('cache-control')).toContain('no-store')
  })

  it('names the admin for a valid session cookie', async () => {
    const res = await session(await signIn())
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ signed_in: true, actor: { kind: 'session', name: ADMIN_USER } })
  })

  it('treats a tampered, truncated or foreign cookie as signed out', async () => {
    const token = await signIn()
    const [header, payload, signature = ''] = token.split('.')
    const flipped = `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`
    for (const cookie of [flipped, token.slice(0, -5), 'not-a-jwt', '']) {
      const res = await session(cookie)
      expect(res.status, cookie).toBe(200)
      expect(res.body, cookie).toEqual({ signed_in: false })
    }
  })

  it('does not accept an API key or a bearer token in place of the cookie', async () => {
    const token = await signIn()
    const viaBearer = await api<SessionState>('/auth/session', { auth: false, headers: { authorization: `Bearer ${token}` } })
    expect(viaBearer.body).toEqual({ signed_in: false })
    const viaKey = await api<SessionState>('/auth/session')
    expect(viaKey.body).toEqual({ signed_in: false })
  })
})
