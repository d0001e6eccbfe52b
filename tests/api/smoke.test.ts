import { describe, expect, it } from 'vitest'
import { api, createDomain, expectErrorShape } from '../support/client'

describe('smoke', () => {
  it('creates and reads a domain', async () => {
    const d = await createDomain()
    const res = await api(`/api/v1/domains/${d.id}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: d.id, name: d.name, active: true })
  })

  it('rejects a request without credentials', async () => {
    const res = await api('/api/v1/domains', { auth: false })
    expect(res.status).toBe(401)
    expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED')
  })
})
