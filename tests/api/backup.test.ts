import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKUP_TABLE_NAMES, backupColumns, DERIVED_COLUMNS } from '#shared/schemas/backup'
import { decodeArchive, type ArchiveDocument } from '../support/backup-archive'
import { api, expectErrorShape, type RequestOptions } from '../support/client'
import { ADMIN_PASSWORD, LEGACY_API_KEY, createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

// A restore replaces the whole database, so this file runs its own server instead of the shared one.
let server: TestServer
let root: string
let dropDatabase: () => Promise<void>
let sql: postgres.Sql

type Document = ArchiveDocument
const decode = decodeArchive

const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) => api<T>(path, { ...opts, baseUrl: server.url })

async function download(query = ''): Promise<{ res: Response, bytes: Buffer }> {
  const res = await fetch(`${server.url}/api/v1/admin/backup${query}`, { headers: { 'x-api-key': LEGACY_API_KEY } })
  return { res, bytes: Buffer.from(await res.arrayBuffer()) }
}

async function upload(body: Buffer | string, type = 'application/gzip', headers: Record<string, string> = { 'x-api-key': LEGACY_API_KEY }) {
  const res = await fetch(`${server.url}/api/v1/admin/restore`, { method: 'POST', headers: { ...headers, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

/** `doc` written back as a streamed archive, with a checksum that matches (or, `keepChecksum`, the one it had). */
function resign(doc: Document, keepChecksum = false): Buffer {
  const { format, version, created_at, schema_versions, tables, files } = doc
  const lines = [{ format, version, created_at, schema_versions }]
  for (const [name, rows] of Object.entries(tables)) lines.push({ table: name } as never, ...rows as never[])
  for (const name of ['config.env', 'firewall.json']) if (files[name] !== undefined) lines.push({ file: name, content: files[name] } as never)
  for (const line of files['audit.log']?.split('\n').filter(Boolean) ?? []) lines.push({ audit: line } as never)
  const body = lines.map(l => `${JSON.stringify(l)}\n`).join('')
  const counts = Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.length]))
  const sha256 = keepChecksum ? doc.sha256 : createHash('sha256').update(body).digest('hex')
  return gzipSync(`${body}${JSON.stringify({ end: true, counts, sha256 })}\n`)
}

/** The same canonical form a version 1 archive was signed with: sorted keys, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record).sort().map(k => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** `doc` as the one-document archive (format 1) panels wrote before backups streamed. */
function asVersion1(doc: Document): Buffer {
  const { sha256: _old, ...rest } = { ...doc, version: 1 }
  return gzipSync(JSON.stringify({ ...rest, sha256: createHash('sha256').update(canonical(rest)).digest('hex') }))
}

/** Every archived table exactly as stored (microseconds included), straight from PostgreSQL. */
async function dumpTables(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of BACKUP_TABLE_NAMES) {
    const [row] = await sql<{ j: string }[]>`SELECT coalesce(json_agg(t ORDER BY t.id), '[]'::json)::text AS j FROM ${sql(name)} t`
    out[name] = row!.j
  }
  return out
}

/** What a client sees: every listing and every config tier, as JSON text. */
async function apiState(): Promise<string> {
  const get = async (path: string) => {
    const res = await call(path)
    expect(res.status, path).toBe(200)
    return res.body
  }
  const domains = await get('/api/v1/domains?limit=500') as { data: { id: number }[] }
  const mailboxes = await get('/api/v1/mailboxes?limit=500') as { data: { id: number }[] }
  return JSON.stringify({
    domains,
    mailboxes,
    aliases: await get('/api/v1/aliases?limit=500'),
    tokens: await get('/api/v1/admin/tokens?limit=500'),
    server: await get('/api/v1/config/server'),
    security: await get('/api/v1/security/settings'),
    domainConfigs: await Promise.all(domains.data.map(d => get(`/api/v1/domains/${d.id}/config`))),
    mailboxConfigs: await Promise.all(mailboxes.data.map(m => get(`/api/v1/mailboxes/${m.id}/effective-config`))),
  })
}

async function create(path: string, body: unknown): Promise<number> {
  const res = await call<{ id: number }>(path, { body })
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}

async function put(path: string, body: unknown, method = 'PUT'): Promise<void> {
  const res = await call(path, { method, body })
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`)
}

const login = (password: string) => call('/auth/login', { body: { username: 'admin', password }, auth: false })

// The throw-away database on a real PostgreSQL; undefined on the embedded one, whose data lives in the root.
let testDatabaseUrl: string | undefined

beforeAll(async () => {
  const db = await createTestDatabase()
  testDatabaseUrl = db.url
  dropDatabase = db.drop
  root = await makeRoot()
  server = await startServer({ root, databaseUrl: db.url })
  await raiseRateLimits(server.url)
  sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
})

afterAll(async () => {
  await sql?.end({ timeout: 2 })
  await server?.stop()
  await dropDatabase?.()
  if (root) removeRoot(root)
})

describe('backup and restore', () => {
  let archive: Buffer
  let document: Document
  let tablesAtBackup: Record<string, string>
  let stateAtBackup: string
  let token: string
  let domainA: number
  let mailbox1: number
  let hashAtBackup: string

  it('downloads a gzip archive of everything, never cached', async () => {
    domainA = await create('/api/v1/domains', { name: 'alpha.example', description: 'first' })
    const domainB = await create('/api/v1/domains', { name: 'bravo.example' })
    mailbox1 = await create('/api/v1/mailboxes', { domain_id: domainA, username: 'jane', password: 'mailbox-pass-123', name: 'Jane Doe', quota_mb: 2048 })
    await create('/api/v1/mailboxes', { domain_id: domainA, username: 'john@alpha.example', password: 'mailbox-pass-456', active: false })
    await create('/api/v1/mailboxes', { domain_id: domainB, username: 'bob', password: 'mailbox-pass-789' })
    await create('/api/v1/aliases', { domain_id: domainA, source: 'info', destinations: ['jane@alpha.example', 'external@example.org'] })
    await create('/api/v1/aliases', { domain_id: domainB, source: '@bravo.example', destinations: ['bob@bravo.example'] })
    const minted = await call<{ id: number, token: string }>('/api/v1/admin/tokens', { body: { name: 'ci-deploy' } })
    token = minted.body.token
    expect((await call('/api/v1/me', { headers: { 'x-api-key': token } })).status).toBe(200)
    await put('/api/v1/config/server', { daily_send_limit: 42, require_tls: false })
    await put(`/api/v1/domains/${domainA}/config`, { max_recipients: 7 })
    await put(`/api/v1/mailboxes/${mailbox1}/config`, { smtp_enabled: false, daily_send_limit: 3 })
    await put('/api/v1/security/settings', { trusted_proxies: ['10.0.0.0/8', '2001:db8::/32'] })
    // Subscribed to an event this test never fires, so no delivery attempt changes the row under us.
    await sql`INSERT INTO webhooks (url, secret, events) VALUES ('http://127.0.0.1:9/hook', 'webhook-secret-0123456789', '{alias.deleted}')`

    tablesAtBackup = await dumpTables()
    stateAtBackup = await apiState()
    hashAtBackup = (await sql<{ password: string }[]>`SELECT password FROM mailboxes WHERE id = ${mailbox1}`)[0]!.password

    const { res, bytes } = await download()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/gzip')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="mailpanel-backup-\d{8}T\d{6}Z\.jsonl\.gz"$/)
    archive = bytes
    document = decode(bytes)
    expect(document).toMatchObject({ format: 'backendside-mailpanel-backup', version: 2 })
    expect(document.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(Object.keys(document.tables).sort()).toEqual([...BACKUP_TABLE_NAMES].sort())
    expect(document.tables.domains).toHaveLength(2)
    expect(document.tables.mailboxes).toHaveLength(3)
    expect(document.tables.webhooks![0]).toMatchObject({ secret: 'webhook-secret-0123456789' })
    expect(document.files['config.env']).toContain('ADMIN_PASSWORD_HASH=')
    expect(document.files['audit.log']).toBeUndefined()
    // Only the token's hash is kept; the plaintext appears nowhere.
    expect(gunzipSync(bytes).toString()).not.toContain(token)
  })

  it('covers every table and column of the schema (a new migration must extend the backup)', async () => {
    const tables = await sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`
    // Deliberately not archived: reconcile_runs (operational history, 0005), certificates (rows about
    // this machine's PEM files, shared/schemas/backup.ts), the policy daemon's counters and cache version (0007),
    // and the mail statistics with the cursor into this machine's mail log (0016: derived from the log, re-counted there).
    const transient = ['schema_migrations', 'webhook_deliveries', 'mailbox_list_version', 'reconcile_runs', 'certificates', 'policyd_counters', 'policyd_limits_version',
      'mail_stats_minutes', 'mail_stats_senders', 'maillog_cursor']
    expect(tables.map(t => t.table_name).filter(t => !transient.includes(t)).sort()).toEqual([...BACKUP_TABLE_NAMES].sort())
    for (const name of BACKUP_TABLE_NAMES) {
      const columns = await sql<{ column_name: string }[]>`
        SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${name}`
      expect(columns.map(c => c.column_name).sort(), name).toEqual([...backupColumns(name), ...DERIVED_COLUMNS[name] ?? []].sort())
    }
  })

  it('adds the audit log on request and records every download in it', async () => {
    const { res, bytes } = await download('?include_audit=true')
    expect(res.status).toBe(200)
    expect(decode(bytes).files['audit.log']).toContain('"action":"POST /api/v1/domains"')
    const log = await call<{ data: { action: string, target: string }[] }>('/api/v1/admin/audit-log?action=admin/backup')
    expect(log.body.data.length).toBeGreaterThanOrEqual(2)
    expect(log.body.data[0]!.target).toMatch(/^mailpanel-backup-/)
    expect((await download('?include_audit=yes')).res.status).toBe(400)
  })

  it('refuses strangers: 401 for both endpoints', async () => {
    const res = await fetch(`${server.url}/api/v1/admin/backup`)
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/json')
    const restore = await upload(archive, 'text/plain', {})
    expect(restore.status).toBe(401)
    expect(expectErrorShape(restore.body).code).toBe('UNAUTHORIZED')
  })

  it('restores a round trip: every listing, hash, id and token as at backup time', async () => {
    // Change everything the archive holds.
    const domains = await call<{ data: { id: number, name: string }[] }>('/api/v1/domains')
    const bravo = domains.body.data.find(d => d.name === 'bravo.example')!
    expect((await call(`/api/v1/domains/${bravo.id}`, { method: 'DELETE' })).status).toBe(200)
    const charlie = await create('/api/v1/domains', { name: 'charlie.example' })
    await create('/api/v1/mailboxes', { domain_id: charlie, username: 'carol', password: 'mailbox-pass-000' })
    await put(`/api/v1/mailboxes/${mailbox1}/password`, { password: 'a-brand-new-password' }, 'PATCH')
    await put('/api/v1/config/server', { daily_send_limit: 9999 })
    const tokens = await call<{ data: { id: number }[] }>('/api/v1/admin/tokens')
    for (const t of tokens.body.data) await call(`/api/v1/admin/tokens/${t.id}`, { method: 'DELETE' })
    expect((await call('/api/v1/me', { headers: { 'x-api-key': token } })).status).toBe(401)
    await put('/api/v1/security/admin-password', { current_password: ADMIN_PASSWORD, new_password: 'changed-after-backup-1' })
    const webhook = (await sql<{ id: number }[]>`SELECT id FROM webhooks`)[0]!
    await sql`INSERT INTO webhook_deliveries (webhook_id, event_id, event, body) VALUES (${webhook.id}, gen_random_uuid(), 'alias.deleted', '{}')`
    expect(await dumpTables()).not.toEqual(tablesAtBackup)

    const res = await upload(archive)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({
      restored: { server_settings: 1, security_settings: 1, mailstack_settings: 1, domains: 2, mailboxes: 3, aliases: 2, api_tokens: 1, webhooks: 1 },
      files: ['config.env'],
    })
    expect(res.body.message).toMatch(/restored/)

    expect(await dumpTables()).toEqual(tablesAtBackup)
    expect(await apiState()).toBe(stateAtBackup)
    expect((await sql<{ password: string }[]>`SELECT password FROM mailboxes WHERE id = ${mailbox1}`)[0]!.password).toBe(hashAtBackup)
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries`)[0]!.n).toBe(0)
    // Derived per-domain counts are rebuilt by the triggers, not copied (which would double them).
    const [counts] = await sql<{ ok: boolean }[]>`
      SELECT bool_and(mailbox_count = (SELECT count(*) FROM mailboxes m WHERE m.domain_id = d.id)) AS ok FROM domains d`
    expect(counts!.ok).toBe(true)

    // The revoked token is back, the admin password is the backup's again, and the machine keeps its JWT secret.
    expect((await call('/api/v1/me', { headers: { 'x-api-key': token } })).status).toBe(200)
    expect((await login(ADMIN_PASSWORD)).status).toBe(200)
    expect((await login('changed-after-backup-1')).status).toBe(401)
    const config = readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8')
    const jwtLine = (text: string) => text.split('\n').find(l => l.startsWith('JWT_SECRET='))
    expect(jwtLine(config)).toBe(jwtLine(document.files['config.env']!))

    // Sequences continue above the restored ids: new rows get fresh ids, no conflicts.
    const maxMailbox = (await sql<{ m: number }[]>`SELECT max(id)::int AS m FROM mailboxes`)[0]!.m
    const fresh = await create('/api/v1/mailboxes', { domain_id: domainA, username: 'newcomer', password: 'mailbox-pass-111' })
    expect(fresh).toBeGreaterThan(maxMailbox)
    await create('/api/v1/domains', { name: 'delta.example' })
    await create('/api/v1/aliases', { domain_id: domainA, source: 'sales', destinations: ['jane@alpha.example'] })
    expect((await call<{ id: number }>('/api/v1/admin/tokens', { body: { name: 'after-restore' } })).status).toBe(201)
  })

  it('accepts the uncompressed archive as application/json', async () => {
    const before = await dumpTables()
    const res = await upload(gunzipSync(archive).toString('utf8'), 'application/json')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await dumpTables()).toEqual(tablesAtBackup)
    expect(before).not.toEqual(tablesAtBackup) // the previous test added rows after restoring
  })

  it('still restores a version 1 archive (one JSON document, as panels wrote before backups streamed)', async () => {
    await call(`/api/v1/mailboxes/${mailbox1}`, { method: 'PUT', body: { name: 'Changed again' } })
    const res = await upload(asVersion1(document))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await dumpTables()).toEqual(tablesAtBackup)
  })
})

describe('config files', () => {
  it('restores firewall.json when the archive has it, and says the audit log is not replayed', async () => {
    const firewallPath = join(root, 'etc/backendside-mailpanel/firewall.json')
    writeFileSync(firewallPath, '{"rules":[{"port":25,"action":"allow"}]}\n')
    const { bytes } = await download('?include_audit=true')
    writeFileSync(firewallPath, '{"rules":[]}\n')
    const auditBefore = readFileSync(join(root, 'etc/backendside-mailpanel/audit.log'), 'utf8')
    const res = await upload(bytes)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.files).toEqual(['config.env', 'firewall.json'])
    expect(res.body.message).toMatch(/append-only/)
    expect(readFileSync(firewallPath, 'utf8')).toBe('{"rules":[{"port":25,"action":"allow"}]}\n')
    // The live audit log only grew: the restore was appended to it, nothing was replaced.
    const auditAfter = readFileSync(join(root, 'etc/backendside-mailpanel/audit.log'), 'utf8')
    expect(auditAfter.startsWith(auditBefore)).toBe(true)
    expect(auditAfter.slice(auditBefore.length)).toContain('"action":"POST /api/v1/admin/restore"')
  })
})

describe('a bad archive changes nothing', () => {
  let archive: Buffer
  let before: Record<string, string>

  beforeAll(async () => {
    archive = (await download()).bytes
    before = await dumpTables()
  })

  async function expectRefused(body: Buffer | string, status: number, code: string, detail?: RegExp, type = 'application/gzip') {
    const res = await upload(body, type)
    expect(res.status, JSON.stringify(res.body)).toBe(status)
    const error = expectErrorShape(res.body)
    expect(error.code).toBe(code)
    if (detail) expect(error.detail).toMatch(detail)
    expect(await dumpTables()).toEqual(before)
    return error
  }

  it('a tampered row (checksum left as it was) → 400 BACKUP_INVALID', async () => {
    const doc = decode(archive)
    doc.tables.domains![0]!.name = 'evil.example'
    const error = await expectRefused(resign(doc, true), 400, 'BACKUP_INVALID', /sha256/)
    expect(error.detail).toMatch(/nothing was changed/)
  })

  it('a truncated gzip, random bytes, an empty body, or JSON that is no archive → 400', async () => {
    await expectRefused(archive.subarray(0, Math.floor(archive.length / 2)), 400, 'BACKUP_INVALID', /gzip/)
    await expectRefused(randomBytes(4096), 400, 'BACKUP_INVALID', /not a gzip/)
    await expectRefused(Buffer.alloc(0), 400, 'BACKUP_INVALID', /empty/)
    await expectRefused(gzipSync('{"format":'), 400, 'BACKUP_INVALID', /JSON/)
    await expectRefused('{"hello":"world"}', 400, 'BACKUP_INVALID', /not a backendside-mailpanel-backup/, 'application/json')
  })

  it('a wrong content type → 415', async () => {
    await expectRefused(archive, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, 'text/plain')
    await expectRefused(archive, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, 'multipart/form-data; boundary=x')
  })

  it('a mailbox whose domain is not in the archive (checksum recomputed) → 400', async () => {
    const doc = decode(archive)
    doc.tables.mailboxes![0]!.domain_id = 999_999
    await expectRefused(resign(doc), 400, 'VALIDATION_FAILED', /tables\.mailboxes\.0\.domain_id/)
  })

  it('a row the schema refuses (checksum recomputed) → 400 VALIDATION_FAILED naming the field, never its value', async () => {
    const doc = decode(archive)
    doc.tables.mailboxes![0]!.password = 'plaintext-password'
    const error = await expectRefused(resign(doc), 400, 'VALIDATION_FAILED', /tables\.mailboxes\.0\.password/)
    expect(error.detail).not.toContain('plaintext-password')
    const dup = decode(archive)
    dup.tables.domains!.push({ ...dup.tables.domains![0]!, id: 777 })
    await expectRefused(resign(dup), 400, 'BACKUP_INVALID', /database refused the archive's rows \(domains, domains_name_key\)/)
  })

  it('an archive from another schema version → 409 BACKUP_INCOMPATIBLE', async () => {
    const doc = decode(archive)
    doc.schema_versions = [...doc.schema_versions, '9999_future']
    await expectRefused(resign(doc), 409, 'BACKUP_INCOMPATIBLE')
    const v3 = decode(archive)
    v3.version = 3
    await expectRefused(resign(v3), 409, 'BACKUP_INCOMPATIBLE', /version 3/)
  })

  it('an archive cut off before its end line, or going on after it, → 400 and nothing changed', async () => {
    const text = gunzipSync(archive).toString('utf8')
    const lines = text.split('\n').filter(Boolean)
    await expectRefused(gzipSync(`${lines.slice(0, -3).join('\n')}\n`), 400, 'BACKUP_INVALID', /truncated/)
    await expectRefused(gzipSync(`${text}{"table":"domains"}\n`), 400, 'BACKUP_INVALID', /after its end line/)
    await expectRefused(gzipSync(`${lines[0]}\n${'x'.repeat(2 * 1024 * 1024)}\n`), 400, 'BACKUP_INVALID', /longer than/)
  })

  it('a row the database itself refuses mid-restore rolls back every table and file', async () => {
    // Year 0 passes the format check but not PostgreSQL; api_tokens is inserted after domains,
    // mailboxes and aliases, so the rollback has real work to undo.
    const doc = decode(archive)
    doc.tables.api_tokens![0]!.created_at = '0000-01-01T00:00:00+00:00'
    doc.files['config.env'] = doc.files['config.env']!.replace(/ADMIN_USER='[^']*'/, 'ADMIN_USER=\'someone-else\'')
    const config = readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8')
    await expectRefused(resign(doc), 400, 'BACKUP_INVALID', /database refused/)
    expect(readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8')).toBe(config)
    // The new config.env was staged beside the live one and removed when the transaction failed.
    expect(readdirSync(join(root, 'etc/backendside-mailpanel')).filter(f => f.endsWith('.tmp'))).toEqual([])
    expect((await login(ADMIN_PASSWORD)).status).toBe(200)
  })
})

// What the panel restores must be what it would start with and what its API would have accepted:
// every value is checked before anything changes, so a refused archive leaves the tables, config.env
// (byte for byte) and the next start-up exactly as they were.
describe('an archive the panel could not run changes nothing', () => {
  const configPath = () => join(root, 'etc/backendside-mailpanel/config.env')
  let archive: Buffer
  let tablesBefore: Record<string, string>
  let configBefore: string

  beforeAll(async () => {
    archive = (await download()).bytes
    tablesBefore = await dumpTables()
    configBefore = readFileSync(configPath(), 'utf8')
  })

  const withConfig = (change: (text: string) => string) => (doc: Document) => {
    doc.files['config.env'] = change(doc.files['config.env']!)
  }
  const appended = (line: string) => withConfig(text => `${text}${line}\n`)
  const mailstack = (change: Record<string, unknown>) => (doc: Document) => Object.assign(doc.tables.mailstack_settings![0]!, change)

  it.each<[string, (doc: Document) => void, RegExp]>([
    ['HTTPS=maybe', appended('HTTPS=\'maybe\''), /files\.config\.env: HTTPS must be on or off/],
    ['MAIL_HOSTNAME=\'bad host\'', appended('MAIL_HOSTNAME=\'bad host\''), /files\.config\.env: MAIL_HOSTNAME must be a DNS name/],
    ['PORT=99999', appended('PORT=\'99999\''), /files\.config\.env: PORT must be a port number 0\.\.65535/],
    ['a JWT_SECRET that is too short', withConfig(text => text.replace(/^JWT_SECRET=.*$/m, 'JWT_SECRET=\'too-short\'')), /files\.config\.env: JWT_SECRET must be at least 32 bytes/],
    ['a listen address the API refuses', mailstack({ smtp_listen: '[fe80::1%eth0]:25' }), /tables\.mailstack_settings\.0\.smtp_listen: a scoped IPv6 address/],
    ['a duplicate port pair', mailstack({ imap_port: 993 }), /tables\.mailstack_settings\.0\.imap_port: imap_port and imaps_port both use port 993/],
    ['a tampered row (bad domain name)', doc => (doc.tables.domains![0]!.name = 'bad host.example'), /tables\.domains\.0\.name: must be a domain name/],
    ['a row with an unknown column', doc => Object.assign(doc.tables.domains![0]!, { owner: 'mallory' }), /tables\.domains\.0\.owner: is not a column of this table/],
  ])('%s → 400 VALIDATION_FAILED naming it; tables and config.env untouched', async (_name, change, detail) => {
    const doc = decode(archive)
    change(doc)
    const res = await upload(resign(doc))
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    const error = expectErrorShape(res.body)
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.detail).toMatch(detail)
    expect(error.detail).toMatch(/nothing was changed/)
    expect(await dumpTables()).toEqual(tablesBefore)
    expect(readFileSync(configPath(), 'utf8')).toBe(configBefore)
    expect(readdirSync(join(root, 'etc/backendside-mailpanel')).filter(f => f.endsWith('.tmp'))).toEqual([])
  })

  it('the panel still starts on the same root afterwards, and a valid archive still restores', async () => {
    // The embedded database is served by the panel itself: reconnect to the new process's socket.
    await sql.end({ timeout: 5 })
    await server.stop()
    server = await startServer({ root, databaseUrl: testDatabaseUrl })
    sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
    expect((await login(ADMIN_PASSWORD)).status).toBe(200)
    expect(await dumpTables()).toEqual(tablesBefore)
    const res = await upload(archive)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await dumpTables()).toEqual(tablesBefore)
    expect((await call('/api/v1/me')).status).toBe(200)
  })
})
