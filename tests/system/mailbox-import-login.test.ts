import { hash } from '@node-rs/bcrypt'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { doveadmVerifies } from '../support/doveadm'
import { imapView } from '../support/mail-clients'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'

// Dovecot's own verifier (doveadmVerifies) judges whether imported mailboxes can log in: plaintext rows
// the panel hashed, and hashes brought from another system (PHP's $2y$ prefix) stored as they came.
describe('mailboxes imported from CSV, checked by Dovecot', () => {
  let server: TestServer
  let drop: () => Promise<void>
  let sql: postgres.Sql

  beforeAll(async () => {
    const db = await createTestDatabase()
    drop = db.drop
    server = await startServer({ root: await makeRoot(), databaseUrl: db.url })
    sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
  })

  afterAll(async () => {
    await sql?.end()
    await server?.stop()
    await drop?.()
    if (server) removeRoot(server.root)
  })

  it('stores passwords doveadm pw -t verifies, from plaintext and from a $2y$ hash', async () => {
    expect((await api('/api/v1/domains', { baseUrl: server.url, body: { name: 'import-login.example' } })).status).toBe(201)
    const brought = `{BLF-CRYPT}${(await hash('brought-Passw0rd', 10)).replace(/^\$2b\$/, '$2y$')}`
    const csv = `address,password,password_hash\nplain@import-login.example,"plain, Passw0rd",\nhashed@import-login.example,,${brought}\n`
    const res = await api('/api/v1/mailboxes/import', { baseUrl: server.url, method: 'POST', raw: csv, headers: { 'content-type': 'text/csv' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const stored = Object.fromEntries((await sql<{ username: string, password: string }[]>`SELECT username, password FROM mailboxes`).map(r => [r.username, r.password]))
    expect(stored.hashed).toBe(brought)
    expect(await doveadmVerifies(stored.plain!, 'plain, Passw0rd')).toBe(true)
    expect(await doveadmVerifies(stored.hashed!, 'brought-Passw0rd')).toBe(true)
    expect(await doveadmVerifies(stored.plain!, 'brought-Passw0rd')).toBe(false)
  })
})

// The same rows through real Dovecot, configured only from the files the panel's reconciler wrote:
// imported mailboxes log in over IMAP, and a bulk deactivate by search locks out exactly the matches.
describe('imported mailboxes logging in to real Dovecot', () => {
  let stack: ManagedStack | undefined
  const domain = 'import-imap.example'

  beforeAll(async () => {
    stack = await startManagedStack()
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('logs in every imported mailbox, and none of those a bulk deactivate matched', async () => {
    const call = stack!.api
    const d = await call<{ id: number }>('/api/v1/domains', { body: { name: domain } })
    expect(d.status).toBe(201)
    const brought = `{BLF-CRYPT}${(await hash('Brought-pass-1', 10)).replace(/^\$2b\$/, '$2y$')}`
    const csv = `address,password,password_hash,name\r\nann@${domain},Ann-pass-1,,Ann\r\nsales-bob@${domain},Bob-pass-1,,Bob\r\nbrought@${domain},,${brought},\r\n`
    const res = await call('/api/v1/mailboxes/import', { method: 'POST', raw: csv, headers: { 'content-type': 'text/csv' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const imap = stack!.ports.imap
    expect((await imapView(imap, `ann@${domain}`, 'Ann-pass-1')).login).toBe(true)
    expect((await imapView(imap, `sales-bob@${domain}`, 'Bob-pass-1')).login).toBe(true)
    expect((await imapView(imap, `brought@${domain}`, 'Brought-pass-1')).login).toBe(true)
    expect((await imapView(imap, `ann@${domain}`, 'Bob-pass-1')).login).toBe(false)

    const bulk = await call('/api/v1/mailboxes/bulk', { body: { action: 'deactivate', filter: { domain_id: d.body.id, search: 'sales-' } } })
    expect(bulk.body).toMatchObject({ matched: 1, changed: 1 })
    expect((await imapView(imap, `sales-bob@${domain}`, 'Bob-pass-1')).login).toBe(false)
    expect((await imapView(imap, `ann@${domain}`, 'Ann-pass-1')).login).toBe(true)
  })
})
