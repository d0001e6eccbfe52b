import { spawn, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ListBody, type RequestOptions } from '../support/client'
import { requireTools } from '../../scripts/test-tools.mjs'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, freePorts, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'
import { testPki } from '../support/tls'
import type { Certificate as CertificateRecord } from '#shared/types/certificates'
import type { Serialized } from '#shared/types/wire'
import { decodeArchive } from '../support/backup-archive'

const HOST = 'mail.example.test'
const TLS_DIR = 'etc/backendside-mailpanel/tls'
const MODE_BITS = 0o777
const MAX_PEM_BYTES = 64 * 1024
const PEBBLE_START_MS = 15_000
const ISSUE_TIMEOUT_MS = 120_000

/** A certificate as the API sends it: the server's view with dates as ISO strings. */
type Certificate = Serialized<CertificateRecord>

const FIELDS = ['active', 'cert_path', 'created_at', 'expires_in_days', 'fingerprint_sha256', 'hostname', 'id', 'issuer', 'key_path', 'not_after', 'not_before', 'san', 'source', 'subject']

// Real certbot against Debian's pebble; `npm test` installs both (a missing one fails here, saying so).
requireTools(['openssl', 'certbot', 'pebble', 'pebble-challtestsrv'])
const pki = testPki()
const db = await createTestDatabase()
let root: string
let server: TestServer
const call = <T = Record<string, unknown>>(path: string, opts: RequestOptions = {}) => api<T>(path, { ...opts, baseUrl: server.url })
const list = async () => (await call<ListBody<Certificate>>('/api/v1/certificates?limit=500')).body
const mode = (path: string) => statSync(path).mode & MODE_BITS
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase()

/** What an upload may change on disk and in the table; a refused one must change neither. */
async function snapshot(): Promise<{ total: number, uploads: string[] }> {
  const uploads = join(root, TLS_DIR, 'uploads')
  return { total: (await list()).meta.total, uploads: existsSync(uploads) ? readdirSync(uploads).sort() : [] }
}

// The ACME side of the end-to-end issue: Debian's pebble (a test ACME CA) doing real HTTP-01
// validation, with pebble-challtestsrv as its DNS (every name → 127.0.0.1); certbot finds pebble
// through its own cli.ini (XDG_CONFIG_HOME) and trusts it through REQUESTS_CA_BUNDLE.
const acme = { processes: [] as ChildProcess[], env: {} as Record<string, string>, challengePort: 0, dir: '' }

async function startAcme(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mailpanel-acme-'))
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort, challengePort] = await freePorts(5)
  const tls = pki.ca.issue({ names: ['localhost'] })
  writeFileSync(join(dir, 'cert.pem'), tls.cert)
  writeFileSync(join(dir, 'key.pem'), tls.key)
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert)
  writeFileSync(join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem'),
      httpPort: challengePort, tlsPort: 0, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }))
  mkdirSync(join(dir, 'xdg/letsencrypt'), { recursive: true })
  writeFileSync(join(dir, 'xdg/letsencrypt/cli.ini'), `server = https://localhost:${acmePort}/dir\n`)
  const output: string[] = []
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()))
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()))
    child.once('error', err => output.push(`${cmd}: ${err.message}`))
    acme.processes.push(child)
  }
  run('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsMgmtPort}`, '-defaultIPv6', ''])
  run('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' })
  const deadline = Date.now() + PEBBLE_START_MS
  while (!output.join('').includes('Listening on')) {
    if (Date.now() > deadline || acme.processes.some(p => p.exitCode !== null)) {
      throw new Error(`pebble did not start:\n${output.join('')}`)
    }
    await new Promise(r => setTimeout(r, 100))
  }
  Object.assign(acme, { env: { XDG_CONFIG_HOME: join(dir, 'xdg'), REQUESTS_CA_BUNDLE: join(dir, 'ca.pem') }, challengePort, dir })
}

beforeAll(async () => {
  await startAcme()
  root = await makeRoot({ MAIL_HOSTNAME: HOST })
  server = await startServer({ root, databaseUrl: db.url, env: acme.env })
  await raiseRateLimits(server.url)
}, 120_000)

afterAll(async () => {
  await server?.stop()
  for (const child of acme.processes) child.kill('SIGTERM')
  await db.drop()
  if (root) removeRoot(root)
  if (acme.dir) removeRoot(acme.dir)
  pki.cleanup()
})

describe('day-0 certificate', () => {
  it('is in the list from the first start, self-signed for MAIL_HOSTNAME, active, with its key private on disk', async () => {
    const body = await list()
    expect(body.meta.total).toBe(1)
    const [day0] = body.data
    expect(Object.keys(day0!).sort()).toEqual(FIELDS)
    expect(day0).toMatchObject({ hostname: HOST, source: 'self-signed', active: true, subject: `CN=${HOST}`, issuer: `CN=${HOST}`, san: [HOST] })
    expect(day0!.expires_in_days).toBeGreaterThanOrEqual(823)
    expect(day0!.expires_in_days).toBeLessThanOrEqual(825)
    const dir = join(root, TLS_DIR, 'self-signed')
    expect(day0!.cert_path).toBe(join(dir, 'cert.pem'))
    expect(day0!.key_path).toBe(join(dir, 'key.pem'))
    expect(fingerprint(readFileSync(day0!.cert_path, 'utf8'))).toBe(day0!.fingerprint_sha256)
    expect(mode(dir)).toBe(0o700)
    expect(mode(day0!.key_path)).toBe(0o600)
    // Metadata only: nothing that looks like key material anywhere in the listing.
    expect(JSON.stringify(body)).not.toMatch(/BEGIN|PRIVATE/)
  })
})

describe('upload', () => {
  let uploadedId: number

  it('stores a valid certificate with its chain; it becomes the active one', async () => {
    const intermediate = pki.ca.issue({ names: ['MailPanel Test Intermediate'], ca: true })
    const leaf = intermediate.ca!.issue({ names: [HOST] })
    const res = await call<{ id: number, message: string }>('/api/v1/certificates', { body: { certificate: `${leaf.cert}${intermediate.cert}`, private_key: leaf.key } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    uploadedId = res.body.id
    expect(res.body.message).toMatch(new RegExp(`^Certificate ${uploadedId} for ${HOST} stored`))

    const { data } = await list()
    expect(data.filter(c => c.active).map(c => c.id)).toEqual([uploadedId])
    const row = data.find(c => c.id === uploadedId)!
    expect(row).toMatchObject({ source: 'upload', hostname: HOST, issuer: 'CN=MailPanel Test Intermediate', fingerprint_sha256: fingerprint(leaf.cert) })
    const dir = join(root, TLS_DIR, 'uploads', String(uploadedId))
    expect(row.cert_path).toBe(join(dir, 'cert.pem'))
    expect(readFileSync(row.cert_path, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
    expect(mode(join(root, TLS_DIR, 'uploads'))).toBe(0o700)
    expect(mode(dir)).toBe(0o700)
    expect(mode(row.key_path)).toBe(0o600)
    expect(readdirSync(dir).sort()).toEqual(['cert.pem', 'key.pem'])

    const one = await call<Certificate>(`/api/v1/certificates/${uploadedId}`)
    expect(one.status).toBe(200)
    expect(one.body).toEqual(row)
  })

  it('accepts a wildcard certificate for the hostname, and a wildcard target that is on it', async () => {
    const wild = pki.ca.issue({ names: ['*.example.test'], from: new Date(Date.now() - 2 * 86_400_000) })
    const res = await call<{ id: number }>('/api/v1/certificates', { body: { certificate: wild.cert, private_key: wild.key, hostname: '*.Example.test' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const row = (await list()).data.find(c => c.id === res.body.id)!
    expect(row).toMatchObject({ hostname: '*.example.test', san: ['*.example.test'], active: false })
    expect(row.cert_path).toBe(join(root, TLS_DIR, 'uploads', String(res.body.id), 'cert.pem'))
  })

  it('refuses every invalid upload with a 4xx naming the problem, writing neither a row nor a file', async () => {
    const good = pki.ca.issue({ names: [HOST] })
    const other = pki.ca.issue({ names: [HOST] })
    const expired = pki.ca.issue({ names: [HOST], from: new Date('2020-01-01T00:00:00Z'), to: new Date('2021-01-01T00:00:00Z') })
    const future = pki.ca.issue({ names: [HOST], from: new Date(Date.now() + 5 * 86_400_000), to: new Date(Date.now() + 50 * 86_400_000) })
    const elsewhere = pki.ca.issue({ names: ['mx.other.test'] })
    const before = await snapshot()
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['not PEM', { certificate: 'hello', private_key: good.key }, 'certificate', /no PEM certificate/],
      ['key of another certificate', { certificate: good.cert, private_key: other.key }, 'private_key', /does not belong/],
      ['expired', { certificate: expired.cert, private_key: expired.key }, 'certificate', /has expired \(valid until 2021-01-01/],
      ['not valid yet', { certificate: future.cert, private_key: future.key }, 'certificate', /is not valid yet/],
      ['MAIL_HOSTNAME not covered', { certificate: elsewhere.cert, private_key: elsewhere.key }, 'hostname', /does not cover mail\.example\.test/],
      ['given hostname not covered', { certificate: good.cert, private_key: good.key, hostname: 'imap.example.test' }, 'hostname', /does not cover imap\.example\.test/],
      ['hostile hostname', { certificate: good.cert, private_key: good.key, hostname: '../../etc/x' }, 'hostname', /DNS hostname/],
      ['shell in hostname', { certificate: good.cert, private_key: good.key, hostname: 'a;$(id)' }, 'hostname', /DNS hostname/],
      ['PEM over 64 KiB', { certificate: `${good.cert}${' '.repeat(MAX_PEM_BYTES)}`, private_key: good.key }, 'certificate', /at most 65536 bytes/],
      ['key missing', { certificate: good.cert }, 'private_key', /./],
      ['unknown field', { certificate: good.cert, private_key: good.key, force: true }, 'force', /./],
      ['wrong type', { certificate: 42, private_key: good.key }, 'certificate', /PEM text/],
    ]
    for (const [what, body, field, detail] of cases) {
      const err = expectValidation(await call('/api/v1/certificates', { body }), field)
      expect(err.detail, what).toMatch(detail)
    }
    expectError(await call('/api/v1/certificates', { raw: JSON.stringify({ certificate: good.cert, private_key: good.key }), headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await snapshot()).toEqual(before)
  })

  it('answers 409 CERTIFICATE_EXISTS for the same certificate twice, and writes nothing the second time', async () => {
    const pair = pki.ca.issue({ names: [HOST], from: new Date(Date.now() - 3 * 86_400_000) })
    expect((await call('/api/v1/certificates', { body: { certificate: pair.cert, private_key: pair.key } })).status).toBe(201)
    const before = await snapshot()
    expectError(await call('/api/v1/certificates', { body: { certificate: pair.cert, private_key: pair.key } }), 409, 'CERTIFICATE_EXISTS')
    expect(await snapshot()).toEqual(before)
  })

  it('refuses to renew an upload or the self-signed certificate, and 404s an unknown id', async () => {
    const { data } = await list()
    const selfSigned = data.find(c => c.source === 'self-signed')!
    expect(expectError(await call(`/api/v1/certificates/${uploadedId}/renew`, { body: {} }), 409, 'CERTIFICATE_NOT_RENEWABLE').detail).toMatch(/upload/)
    expect(expectError(await call(`/api/v1/certificates/${selfSigned.id}/renew`, { method: 'POST' }), 409, 'CERTIFICATE_NOT_RENEWABLE').detail).toMatch(/self-signed/)
    expectError(await call('/api/v1/certificates/999999/renew', { method: 'POST' }), 404, 'CERTIFICATE_NOT_FOUND')
    expectValidation(await call('/api/v1/certificates/abc/renew', { method: 'POST' }), 'id')
    expectValidation(await call(`/api/v1/certificates/${uploadedId}/renew`, { body: { force: 'yes' } }), 'force')
  })
})

describe('issue and renew through certbot', () => {
  const logsDir = () => join(root, 'var/log/letsencrypt')

  it('refuses a bad hostname with 400 before certbot ever runs', async () => {
    for (const hostname of ['../../etc/passwd', 'mail.example.test;id', '$(reboot).example.test', '`id`.example.test', 'a b.example.test', 'localhost', '*.example.test', '-d.example.test']) {
      expectValidation(await call('/api/v1/certificates/issue', { body: { hostname } }), 'hostname')
    }
    expectValidation(await call('/api/v1/certificates/issue', { body: { hostname: 'mail.example.test', method: 'webroot', http_port: 8080 } }), 'http_port')
    expectValidation(await call('/api/v1/certificates/issue', { body: { hostname: 'mail.example.test', method: 'dns' } }), 'method')
    expectValidation(await call('/api/v1/certificates/issue', { body: { email: 'not an address' } }), 'email')
    // certbot writes letsencrypt.log into --logs-dir on every run: nothing there means it never ran.
    expect(existsSync(logsDir())).toBe(false)
  })

  it('issues a certificate end to end (certbot standalone, real HTTP-01 against a local ACME CA); it becomes active', async () => {
    const res = await call<{ id: number, message: string }>('/api/v1/certificates/issue', { body: { hostname: HOST, email: 'ops@example.test', http_port: acme.challengePort } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.message).toMatch(/issued for mail\.example\.test by CN=Pebble Intermediate CA/)
    expect(existsSync(join(logsDir(), 'letsencrypt.log'))).toBe(true)
    const row = (await list()).data.find(c => c.id === res.body.id)!
    const live = join(root, 'etc/letsencrypt/live', HOST)
    expect(row).toMatchObject({ source: 'certbot', hostname: HOST, san: [HOST], cert_path: join(live, 'fullchain.pem'), key_path: join(live, 'privkey.pem'), active: true })
    expect(row.fingerprint_sha256).toBe(fingerprint(readFileSync(row.cert_path, 'utf8')))

    // A second issue for the same name is a conflict that points at renew, without running certbot.
    const again = expectError(await call('/api/v1/certificates/issue', { body: { hostname: HOST, http_port: acme.challengePort } }), 409, 'CERTIFICATE_EXISTS')
    expect(again.detail).toContain(`/api/v1/certificates/${row.id}/renew`)
  }, ISSUE_TIMEOUT_MS)

  it('renews: not due is reported as such; forced, the same row takes the new certificate', async () => {
    const before = (await list()).data.find(c => c.source === 'certbot')!
    const notDue = await call<{ renewed: boolean, message: string }>(`/api/v1/certificates/${before.id}/renew`, { method: 'POST' })
    expect(notDue.status, JSON.stringify(notDue.body)).toBe(200)
    expect(notDue.body).toMatchObject({ renewed: false, message: expect.stringMatching(/not due for renewal/) })

    const forced = await call<{ renewed: boolean }>(`/api/v1/certificates/${before.id}/renew`, { body: { force: true } })
    expect(forced.status, JSON.stringify(forced.body)).toBe(200)
    expect(forced.body.renewed).toBe(true)
    const after = (await list()).data.find(c => c.id === before.id)!
    expect(after.fingerprint_sha256).not.toBe(before.fingerprint_sha256)
    expect(after.fingerprint_sha256).toBe(fingerprint(readFileSync(after.cert_path, 'utf8')))
    expect(after.active).toBe(true)
  }, ISSUE_TIMEOUT_MS)

  it('reports a failing certbot run as 502 CERTBOT_FAILED with certbot\'s own words, recording nothing', async () => {
    const before = await snapshot()
    // Nothing listens for pebble's HTTP-01 check on this port, so validation fails.
    const res = await call('/api/v1/certificates/issue', { body: { hostname: 'imap.example.test', method: 'webroot' } })
    const err = expectError(res, 502, 'CERTBOT_FAILED')
    expect(err.detail).toMatch(/^certbot certonly exited with code 1: /)
    expect(err.detail).toMatch(/imap\.example\.test.*connection refused/)
    expect(await snapshot()).toEqual(before)
  }, ISSUE_TIMEOUT_MS)
})

describe('delete', () => {
  it('refuses the active certificate with 409 CERTIFICATE_ACTIVE', async () => {
    const active = (await list()).data.find(c => c.active)!
    const err = expectError(await call(`/api/v1/certificates/${active.id}`, { method: 'DELETE' }), 409, 'CERTIFICATE_ACTIVE')
    expect(err.detail).toMatch(/replacement first/)
    expect((await list()).data.some(c => c.id === active.id)).toBe(true)
  })

  it('deletes an inactive upload with its folder, and the self-signed row while keeping its files', async () => {
    const { data } = await list()
    const upload = data.find(c => c.source === 'upload' && !c.active)!
    const res = await call<{ message: string }>(`/api/v1/certificates/${upload.id}`, { method: 'DELETE' })
    expect(res.status).toBe(200)
    expect(res.body.message).toBe(`Certificate ${upload.id} for ${upload.hostname} deleted`)
    expect(existsSync(join(root, TLS_DIR, 'uploads', String(upload.id)))).toBe(false)

    const selfSigned = data.find(c => c.source === 'self-signed')!
    expect((await call(`/api/v1/certificates/${selfSigned.id}`, { method: 'DELETE' })).status).toBe(200)
    expect(existsSync(selfSigned.cert_path) && existsSync(selfSigned.key_path)).toBe(true)
    const ids = (await list()).data.map(c => c.id)
    expect(ids).not.toContain(upload.id)
    expect(ids).not.toContain(selfSigned.id)
    expectError(await call(`/api/v1/certificates/${upload.id}`, { method: 'DELETE' }), 404, 'CERTIFICATE_NOT_FOUND')
    expectError(await call(`/api/v1/certificates/${upload.id}`), 404, 'CERTIFICATE_NOT_FOUND')
  })

  it('deletes a certbot certificate once another is active, and its lineage through certbot', async () => {
    const certbotRow = (await list()).data.find(c => c.source === 'certbot')!
    // CA-issued certificates rank by not_before: this one starts now, after pebble's (a tie goes to the higher id).
    const newer = pki.ca.issue({ names: [HOST], from: new Date() })
    const up = await call<{ id: number }>('/api/v1/certificates', { body: { certificate: newer.cert, private_key: newer.key } })
    expect(up.status).toBe(201)
    expect((await list()).data.filter(c => c.active).map(c => c.id)).toEqual([up.body.id])
    expect((await call(`/api/v1/certificates/${certbotRow.id}`, { method: 'DELETE' })).status).toBe(200)
    expect(existsSync(join(root, 'etc/letsencrypt/live', HOST))).toBe(false)
  }, ISSUE_TIMEOUT_MS)
})

describe('backup', () => {
  it('leaves certificates out of the archive, and a restore leaves them alone', async () => {
    const before = await list()
    const backup = await fetch(`${server.url}/api/v1/admin/backup`, { headers: { 'x-api-key': LEGACY_API_KEY } })
    expect(backup.status).toBe(200)
    const archive = Buffer.from(await backup.arrayBuffer())
    const document = gunzipSync(archive).toString()
    expect(Object.keys(decodeArchive(archive).tables)).not.toContain('certificates')
    expect(document).not.toMatch(/BEGIN|fingerprint_sha256/)
    const restore = await fetch(`${server.url}/api/v1/admin/restore`, { method: 'POST', headers: { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/gzip' }, body: new Uint8Array(archive) })
    expect(restore.status, await restore.text()).toBe(200)
    expect(await list()).toEqual(before)
  })
})

describe('authentication', () => {
  it('answers 401 to every certificate endpoint without credentials', async () => {
    for (const [method, path] of [['GET', '/api/v1/certificates'], ['POST', '/api/v1/certificates'], ['POST', '/api/v1/certificates/issue'], ['GET', '/api/v1/certificates/1'], ['POST', '/api/v1/certificates/1/renew'], ['DELETE', '/api/v1/certificates/1']] as const) {
      expectError(await call(path, { method, auth: false, body: method === 'POST' ? {} : undefined }), 401, 'UNAUTHORIZED')
    }
  })
})

describe('without certbot and openssl installed', () => {
  it('answers issue with 409 CAPABILITY_MISSING naming the package; listing still works without a day-0 certificate', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'mailpanel-bin-'))
    const otherDb = await createTestDatabase()
    const otherRoot = await makeRoot({ MAIL_HOSTNAME: HOST })
    const bare = await startServer({ root: otherRoot, databaseUrl: otherDb.url, env: { PATH: bin } })
    try {
      const err = expectError(await api('/api/v1/certificates/issue', { baseUrl: bare.url, body: { hostname: HOST } }), 409, 'CAPABILITY_MISSING')
      expect(err.error).toBe('certbot is not installed')
      expect(err.detail).toMatch(/apt-get install certbot/)
      const listed = await api<ListBody<Certificate>>('/api/v1/certificates', { baseUrl: bare.url })
      expect(listed.status).toBe(200)
      expect(listed.body.meta.total).toBe(0)
      expect(bare.output()).toContain('openssl is not installed (package openssl)')
    }
    finally {
      await bare.stop()
      await otherDb.drop()
      removeRoot(otherRoot)
      removeRoot(bin)
    }
  }, 120_000)
})
