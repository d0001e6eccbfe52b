import { request } from 'node:http'
import { hash, verify } from '@node-rs/bcrypt'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportJob, ImportReport } from '#shared/types/mailbox-import'
import type { Mailbox } from '#shared/types/directory'
import { api, streamBody, type ListBody } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

const MAX_IMPORT_BYTES = 64 * 1024 * 1024
const BIG_IMPORT_ROWS = 10_000
const JOB_ROWS = 40
const JOB_TIMEOUT_MS = 120_000

// One server of its own: the import counts and lists whole domains, and a job runs one at a time.
describe('POST /api/v1/mailboxes/import (CSV)', () => {
  let server: TestServer
  let drop: () => Promise<void>
  let db: postgres.Sql
  let domainA: { id: number, name: string }
  let domainB: { id: number, name: string }
  const call = <T = Record<string, unknown>>(path: string, opts: Parameters<typeof api>[1] = {}) => api<T>(path, { ...opts, baseUrl: server.url })
  const postCsv = <T = Record<string, unknown>>(csv: string, query = '', type = 'text/csv') =>
    call<T>(`/api/v1/mailboxes/import${query}`, { method: 'POST', raw: csv, headers: { 'content-type': type } })
  const dryRun = (csv: string) => postCsv<ImportReport>(csv, '?dry_run=true')
  const listDomain = async (domainId: number) =>
    (await call<ListBody<Mailbox>>(`/api/v1/mailboxes?domain_id=${domainId}&limit=500`)).body
  const storedHash = async (address: string) => (await db<{ password: string }[]>`SELECT password FROM mailboxes WHERE address = ${address}`)[0]?.password
  const verifyDovecot = (plain: string, stored: string | undefined) => verify(plain, (stored ?? '').replace(/^\{BLF-CRYPT\}/, ''))

  beforeAll(async () => {
    const test = await createTestDatabase()
    drop = test.drop
    server = await startServer({ root: await makeRoot(), databaseUrl: test.url })
    await raiseRateLimits(server.url)
    db = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
    for (const [key, name] of [['a', 'import-a.example'], ['b', 'import-b.example']] as const) {
      const res = await call<{ id: number }>('/api/v1/domains', { body: { name } })
      expect(res.status).toBe(201)
      if (key === 'a') domainA = { id: res.body.id, name }
      else domainB = { id: res.body.id, name }
    }
  })

  afterAll(async () => {
    await db?.end()
    await server?.stop()
    await drop?.()
    if (server) removeRoot(server.root)
  })

  it('imports a valid file: GET lists the mailboxes with their fields and each stored hash verifies with its password', async () => {
    const csv = [
      'address,password,name,quota_mb,active',
      `jane@${domainA.name},jane-secret-1,Jane Doe,2048,true`,
      `bob@${domainA.name},bob-secret-22,,,no`,
      `Carol@${domainB.name.toUpperCase()},carol secret 3,Carol,0,`,
    ].join('\n')
    const dry = await dryRun(csv)
    expect(dry.status).toBe(200)
    expect(dry.body).toEqual({ rows: 3, valid: 3, invalid: 0, errors: [], errors_truncated: false })
    expect((await listDomain(domainA.id)).meta.total).toBe(0) // the dry run changed nothing

    const res = await postCsv<{ message: string, imported: number }>(csv)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toEqual({ message: '3 mailboxes imported', imported: 3 })

    const a = await listDomain(domainA.id)
    expect(a.data.map(m => [m.address, m.name, m.active])).toEqual([
      [`bob@${domainA.name}`, '', false],
      [`jane@${domainA.name}`, 'Jane Doe', true],
    ])
    expect(a.data.find(m => m.username === 'jane')!.quota_mb).toBe(2048)
    const b = await listDomain(domainB.id)
    expect(b.data.map(m => m.address)).toEqual([`carol@${domainB.name}`])
    expect(await verifyDovecot('jane-secret-1', await storedHash(`jane@${domainA.name}`))).toBe(true)
    expect(await verifyDovecot('bob-secret-22', await storedHash(`bob@${domainA.name}`))).toBe(true)
    expect(await verifyDovecot('carol secret 3', await storedHash(`carol@${domainB.name}`))).toBe(true)
    expect(await storedHash(`jane@${domainA.name}`)).toMatch(/^\{BLF-CRYPT\}\$2[aby]\$10\$/)
  })

  it('refuses a file with bad rows as a whole, naming each bad line and column and never echoing a password', async () => {
    await call('/api/v1/aliases', { body: { domain_id: domainA.id, source: 'sales', destinations: ['boss@elsewhere.example'] } })
    const hash = `{BLF-CRYPT}${await hashOf('some-password')}`
    const rows = [
      'address,password,password_hash,name,quota_mb,active', // 1
      `ok1@${domainA.name},fine-password-1,,,,`, // 2: valid
      `Bad Name@${domainA.name},fine-password-2,,,,`, // 3: local part
      `short@${domainA.name},tiny,,,,`, // 4: password too short
      `both@${domainA.name},fine-password-4,${hash},,,`, // 5: password and hash
      `nohash@${domainA.name},,{BLF-CRYPT}not-a-hash,,,`, // 6: hash format
      `quota@${domainA.name},fine-password-6,,,lots,`, // 7: quota
      `flag@${domainA.name},fine-password-7,,,,maybe`, // 8: active
      `ghost@nowhere.example,fine-password-8,,,,`, // 9: unknown domain
      `ok1@${domainA.name},fine-password-9,,,,`, // 10: duplicate of line 2
      `jane@${domainA.name},fine-password-10,,,,`, // 11: existing mailbox
      `sales@${domainA.name},fine-password-11,,,,`, // 12: existing alias
      `few@${domainA.name},fine-password-12`, // 13: too few fields
      `ok2@${domainB.name},,${hash},Fine,10,yes`, // 14: valid
    ]
    const csv = `${rows.join('\r\n')}\r\n`
    const dry = await dryRun(csv)
    expect(dry.status).toBe(200)
    expect(dry.body.rows).toBe(13)
    expect(dry.body.valid).toBe(2)
    expect(dry.body.invalid).toBe(11)
    const where = dry.body.errors.map(e => [e.line, e.column])
    expect(where).toEqual([
      [3, 'address'], [4, 'password'], [5, 'password'], [6, 'password_hash'], [7, 'quota_mb'], [8, 'active'],
      [9, 'address'], [10, 'address'], [11, 'address'], [12, 'address'], [13, ''],
    ])
    const message = (line: number) => dry.body.errors.find(e => e.line === line)!.message
    expect(message(4)).toMatch(/at least 8 characters/)
    expect(message(5)).toMatch(/exactly one/)
    expect(message(6)).toMatch(/BLF-CRYPT/)
    expect(message(7)).toMatch(/number/)
    expect(message(8)).toMatch(/true or false/)
    expect(message(9)).toMatch(/no domain nowhere\.example/)
    expect(message(10)).toMatch(/line 2/)
    expect(message(11)).toMatch(/already exists/)
    expect(message(12)).toMatch(/already exists/)
    expect(message(13)).toMatch(/2 fields; the header has 6/)
    const text = JSON.stringify(dry.body)
    for (const secret of ['fine-password', 'tiny', hash]) expect(text).not.toContain(secret)

    const before = (await listDomain(domainA.id)).meta.total
    const real = await postCsv(csv)
    const err = expectValidation(real)
    expect(err.detail).toMatch(/^11 of 13 rows have problems, so nothing was imported/)
    expect(err.detail).toMatch(/line 3 address: /)
    expect(err.detail).not.toContain('fine-password')
    expect((await listDomain(domainA.id)).meta.total).toBe(before)
    expect((await listDomain(domainB.id)).data.map(m => m.username)).not.toContain('ok2')
  })

  it('reads CSV quoting: commas, quotes and line breaks inside quoted fields, CRLF endings and a BOM', async () => {
    const csv = '\uFEFFdomain,username,password,name\r\n'
      + `${domainB.name},quoted,"pass,word""1",${'"Doe, ""JJ"" Jane"'}\r\n`
      + `"${domainB.name}","multi","line-pass-2","First\r\nSecond"\r\n`
      + `${domainB.name},plain,plain-pass-3,Plain Name`
    const dry = await dryRun(csv)
    expect(dry.body).toEqual({ rows: 3, valid: 3, invalid: 0, errors: [], errors_truncated: false })
    const res = await postCsv(csv)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const names = Object.fromEntries((await listDomain(domainB.id)).data.map(m => [m.username, m.name]))
    expect(names.quoted).toBe('Doe, "JJ" Jane')
    expect(names.multi).toBe('First\r\nSecond')
    expect(names.plain).toBe('Plain Name')
    expect(await verifyDovecot('pass,word"1', await storedHash(`quoted@${domainB.name}`))).toBe(true)
  })

  it('reports malformed quoting with its line number', async () => {
    const csv = `address,password\nok@${domainB.name},good-pass-1\nbad"quote@${domainB.name},good-pass-2\n"open@${domainB.name},good-pass-3\nmore,lines\n`
    const dry = await dryRun(csv)
    expect(dry.body.errors.map(e => e.line)).toEqual([3, 4])
    expect(dry.body.errors[0]!.message).toMatch(/quote inside an unquoted field/)
    expect(dry.body.errors[1]!.message).toMatch(/never closed/)
  })

  it('reports a bad header on line 1', async () => {
    const dry = await dryRun('email,password,colour\nx@y.example,zzz\n')
    expect(dry.body.errors).toEqual([
      { line: 1, column: 'email', message: expect.stringMatching(/is not a column/) },
      { line: 1, column: 'colour', message: expect.stringMatching(/is not a column/) },
      { line: 1, column: 'address', message: expect.stringMatching(/needs an address column/) },
    ])
    expect(dry.body.valid).toBe(0)
  })

  it('refuses a body over the cap with 413, declared or streamed, and other content types with 415', async () => {
    const headers = { 'x-api-key': 'legacy-api-key-0123456789abcdef', 'content-type': 'text/csv' }
    const declared = await streamBody('/api/v1/mailboxes/import?dry_run=true', { baseUrl: server.url, bytes: 0, headers: { ...headers, 'content-length': String(MAX_IMPORT_BYTES + 1) } })
    expectError(declared, 413, 'PAYLOAD_TOO_LARGE')
    const streamed = await streamBody('/api/v1/mailboxes/import?dry_run=true', { baseUrl: server.url, bytes: MAX_IMPORT_BYTES + 65_536, fill: `${'x'.repeat(999)}\n`, headers })
    expectError(streamed, 413, 'PAYLOAD_TOO_LARGE')
    expectError(await postCsv('address,password\n', '?dry_run=true', 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await postCsv('address,password\n', '?dry_run=true', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectValidation(await postCsv('address,password\n', '?dry_run=maybe'), 'dry_run')
  })

  it('shrugs off a client that goes away mid-upload: nothing logged as a server error, the next import works', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/api/v1/mailboxes/import?dry_run=true`, {
        method: 'POST',
        headers: { 'x-api-key': 'legacy-api-key-0123456789abcdef', 'content-type': 'text/csv', 'content-length': '100000' },
      })
      req.on('error', () => resolve())
      req.write(`address,password\nhalf@${domainA.name},half-pass`, () => setTimeout(() => {
        req.destroy()
        resolve()
      }, 200))
    })
    await new Promise(resolve => setTimeout(resolve, 300))
    expect((await dryRun(`address,password\nafter@${domainA.name},after-pass-1\n`)).body).toMatchObject({ rows: 1, valid: 1 })
    expect(server.output()).not.toMatch(/mailboxes\/import\S* failed/)
  })

  it(`imports ${BIG_IMPORT_ROWS} rows that carry hashes quickly, in one request`, async () => {
    const domain = (await call<{ id: number }>('/api/v1/domains', { body: { name: 'import-big.example' } })).body.id
    const hash = `{BLF-CRYPT}${await hashOf('big-import-pass')}`
    const lines = ['username,domain,password_hash']
    for (let i = 0; i < BIG_IMPORT_ROWS; i++) lines.push(`user${String(i).padStart(5, '0')},import-big.example,${hash}`)
    const csv = lines.join('\n')
    let started = performance.now()
    const dry = await dryRun(csv)
    const dryMs = performance.now() - started
    expect(dry.body).toMatchObject({ rows: BIG_IMPORT_ROWS, valid: BIG_IMPORT_ROWS, errors: [] })
    started = performance.now()
    const res = await postCsv(csv)
    const ms = performance.now() - started
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.imported).toBe(BIG_IMPORT_ROWS)
    process.stdout.write(`mailbox import, ${BIG_IMPORT_ROWS} rows with password_hash: dry run ${dryMs.toFixed(0)} ms, import ${ms.toFixed(0)} ms (${Math.round(BIG_IMPORT_ROWS / (ms / 1000))} rows/s)\n`)
    expect(ms).toBeLessThan(20_000)
    const page = (await call<ListBody<Mailbox>>(`/api/v1/mailboxes?domain_id=${domain}&limit=1&page=${BIG_IMPORT_ROWS}`)).body
    expect(page.meta.total).toBe(BIG_IMPORT_ROWS)
    expect(page.data[0]!.username).toBe(`user${String(BIG_IMPORT_ROWS - 1).padStart(5, '0')}`)
    expect(await verifyDovecot('big-import-pass', await storedHash('user04242@import-big.example'))).toBe(true)
    // The same file again: every row now exists, and nothing more is written.
    const again = await dryRun(csv)
    expect(again.body).toMatchObject({ rows: BIG_IMPORT_ROWS, valid: 0, invalid: BIG_IMPORT_ROWS, errors_truncated: true })
    expect(again.body.errors).toHaveLength(100)
    expect(again.body.errors[0]).toEqual({ line: 2, column: 'username', message: 'a mailbox or an alias user00000@import-big.example already exists' })
  })

  it(`hashes ${JOB_ROWS} plaintext passwords in a background job that reports its progress`, async () => {
    const domain = (await call<{ id: number }>('/api/v1/domains', { body: { name: 'import-job.example' } })).body.id
    const lines = ['address,password']
    for (let i = 0; i < JOB_ROWS; i++) lines.push(`job${i}@import-job.example,job-password-${i}`)
    const started = performance.now()
    const res = await postCsv<{ message: string, job_id: string }>(lines.join('\n'))
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    expect(res.body.message).toMatch(new RegExp(`^Importing ${JOB_ROWS} mailboxes`))
    // A second real import waits for this one.
    expectError(await postCsv(`address,password\nlate@import-job.example,late-password-1\n`), 409, 'IMPORT_RUNNING')
    const seen: number[] = []
    let job: ImportJob
    for (;;) {
      const poll = await call<ImportJob>(`/api/v1/mailboxes/import/${res.body.job_id}`)
      expect(poll.status).toBe(200)
      job = poll.body
      expect(job.progress.total).toBe(JOB_ROWS)
      seen.push(job.progress.done)
      if (job.finished_at) break
      if (performance.now() - started > JOB_TIMEOUT_MS) throw new Error(`the job did not finish: ${JSON.stringify(job)}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const ms = performance.now() - started
    process.stdout.write(`mailbox import, ${JOB_ROWS} rows with plaintext passwords (bcrypt cost 10): ${ms.toFixed(0)} ms (${(JOB_ROWS / (ms / 1000)).toFixed(1)} rows/s)\n`)
    expect(job.state).toBe('done')
    expect(job.result).toEqual({ imported: JOB_ROWS })
    expect(job.failure).toBeNull()
    expect(seen).toEqual([...seen].sort((x, y) => x - y))
    expect(seen.some(done => done > 0 && done < JOB_ROWS), `progress seen: ${seen.join(',')}`).toBe(true)
    expect((await listDomain(domain)).meta.total).toBe(JOB_ROWS)
    expect(await verifyDovecot('job-password-7', await storedHash('job7@import-job.example'))).toBe(true)
    expect(await verifyDovecot('job-password-8', await storedHash('job7@import-job.example'))).toBe(false)
  })

  it('queues a mailbox.created webhook event per imported mailbox, as POST /mailboxes does', async () => {
    expect((await call('/api/v1/security/settings', { method: 'PUT', body: { webhook_allowed_ranges: ['127.0.0.1/32'] } })).status).toBe(200)
    // Port 9 (discard): nothing answers, the deliveries stay queued; the test counts the outbox.
    const hook = await call<{ id: number }>('/api/v1/admin/webhooks', { body: { url: 'http://127.0.0.1:9/hook', events: ['mailbox.created'] } })
    expect(hook.status).toBe(201)
    const res = await postCsv(`address,password,name
hooked1@${domainB.name},hooked-pass-1,Hooked
hooked2@${domainB.name},hooked-pass-2,
`)
    expect(res.status).toBe(201)
    const queued = async () => (await db<{ address: string }[]>`
      SELECT body::jsonb -> 'data' ->> 'address' AS address FROM webhook_deliveries
      WHERE webhook_id = ${hook.body.id} AND event = 'mailbox.created' ORDER BY 1`).map(r => r.address)
    await expect.poll(queued, { timeout: 10_000 }).toEqual([`hooked1@${domainB.name}`, `hooked2@${domainB.name}`])
    expect((await call(`/api/v1/admin/webhooks/${hook.body.id}`, { method: 'DELETE' })).status).toBe(200)
  })

  it('answers 404 for an unknown job and 400 for a malformed job id', async () => {
    expectError(await call('/api/v1/mailboxes/import/7d8f2a4e-8f7b-4f5c-9d61-3f1b2c4d5e6f'), 404, 'IMPORT_JOB_NOT_FOUND')
    expectValidation(await call('/api/v1/mailboxes/import/not-a-job'), 'jobId')
  })

  it('needs credentials', async () => {
    expectError(await call('/api/v1/mailboxes/import?dry_run=true', { method: 'POST', raw: 'address,password\n', headers: { 'content-type': 'text/csv' }, auth: false }), 401, 'UNAUTHORIZED')
  })
})

async function hashOf(plain: string): Promise<string> {
  return hash(plain, 10)
}
