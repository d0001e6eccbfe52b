import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { doveadmVerifies } from '../support/doveadm'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'

// Dovecot's own verifier (doveadmVerifies) is the judge of whether the hashes we store will let users log in.
describe('mailbox password hashes, checked by Dovecot', () => {
  let server: TestServer
  let drop: () => Promise<void>
  let sql: postgres.Sql

  beforeAll(async () => {
    const db = await createTestDatabase()
    drop = db.drop
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
    sql = postgres(server.databaseUrl, { max: 1 })
  })

  afterAll(async () => {
    await sql?.end()
    await server?.stop()
    await drop?.()
    if (server) removeRoot(server.root)
  })

  async function storedHash(id: number): Promise<string> {
    const [row] = await sql<{ password: string }[]>`SELECT password FROM mailboxes WHERE id = ${id}`
    return row!.password
  }

  it('stores {BLF-CRYPT} bcrypt that doveadm pw -t verifies, before and after a password change', async () => {
    const domain = await api<{ id: number }>('/api/v1/domains', { baseUrl: server.url, body: { name: 'hash-check.example' } })
    expect(domain.status).toBe(201)
    const mailbox = await api<{ id: number }>('/api/v1/mailboxes', { baseUrl: server.url, body: { domain_id: domain.body.id, username: 'jane', password: 'first-Passw0rd' } })
    expect(mailbox.status).toBe(201)

    const first = await storedHash(mailbox.body.id)
    expect(first).toMatch(/^\{BLF-CRYPT\}\$2b\$10\$/)
    expect(await doveadmVerifies(first, 'first-Passw0rd')).toBe(true)
    expect(await doveadmVerifies(first, 'wrong-password')).toBe(false)

    const change = await api(`/api/v1/mailboxes/${mailbox.body.id}/password`, { baseUrl: server.url, method: 'PATCH', body: { password: 'second-Passw0rd' } })
    expect(change.status).toBe(200)
    const second = await storedHash(mailbox.body.id)
    expect(await doveadmVerifies(second, 'second-Passw0rd')).toBe(true)
    expect(await doveadmVerifies(second, 'first-Passw0rd')).toBe(false)
  })
})
