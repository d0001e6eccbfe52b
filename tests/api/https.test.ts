import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, LEGACY_API_KEY, makeRoot, pathWithoutMailDaemons, removeRoot, runServerToExit } from '../support/server'
import { testPki, type Pair } from '../support/tls'

const SERVER_ENTRY = join(process.cwd(), '.output/server/index.mjs')
const TLS_DIR = 'etc/backendside-mailpanel/tls'
const READY_TIMEOUT_MS = 60_000
const pki = testPki()
const cleanups: (() => Promise<void> | void)[] = [() => pki.cleanup()]
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

interface HttpsReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  peer: X509Certificate
}

/** One request over HTTPS that trusts only `ca` and checks the name `localhost`, as a client of a real server would. */
function fetchTls(port: number, path: string, ca: string, opts: { method?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<HttpsReply> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca, method: opts.method ?? 'GET', agent: false,
      headers: { ...opts.headers, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer: new X509Certificate((res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** The built server with HTTPS=on in config.env; resolves with the port from its "Listening on https://…" line. */
async function startHttps(place: (root: string) => void): Promise<{ root: string, port: number, databaseUrl?: string }> {
  const db = await createTestDatabase()
  const root = await makeRoot({ HTTPS: 'on', MAIL_HOSTNAME: 'localhost' })
  place(root)
  // No mail daemons on PATH: the reconciler stays out, so the stable tls/ pair is only what a test puts there.
  const env: Record<string, string | undefined> = { ...process.env, PATH: pathWithoutMailDaemons(), MAILPANEL_ROOT: root, PORT: '0', HOST: '127.0.0.1', CONSOLA_LEVEL: '3', DATABASE_URL: db.url }
  if (!db.url) delete env.DATABASE_URL
  const child = spawn(process.execPath, [SERVER_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const exited = new Promise(resolve => child.once('exit', resolve))
  cleanups.push(async () => {
    child.kill('SIGTERM')
    await exited
    await db.drop()
    removeRoot(root)
  })
  const deadline = Date.now() + READY_TIMEOUT_MS
  let port: string | undefined
  while (!(port = /Listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no HTTPS listener:\n${output}`)
    await new Promise(r => setTimeout(r, 100))
  }
  return { root, port: Number(port), databaseUrl: db.url }
}

/** Polls /health over HTTPS until the database is up (the listener starts before it is). */
async function healthy(port: number, ca: string): Promise<HttpsReply> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const reply = await fetchTls(port, '/health', ca)
    if (reply.status === 200 || Date.now() > deadline) return reply
    await new Promise(r => setTimeout(r, 100))
  }
}

const write = (dir: string, pair: Pair) => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(join(dir, 'cert.pem'), pair.cert)
  writeFileSync(join(dir, 'key.pem'), pair.key, { mode: 0o600 })
}
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256

describe('HTTPS=on', () => {
  it('serves the installer\'s self-signed pair before any stable pair exists; the session cookie is Secure; the pair becomes the day-0 row', async () => {
    const installer = pki.selfSigned('localhost')
    const { port } = await startHttps(root => write(join(root, TLS_DIR, 'self-signed'), installer))

    const health = await healthy(port, installer.cert)
    expect(health.status).toBe(200)
    expect(health.peer.fingerprint256).toBe(fingerprint(installer.cert))
    expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/)

    const login = await fetchTls(port, '/auth/login', installer.cert, { method: 'POST', body: { username: ADMIN_USER, password: ADMIN_PASSWORD } })
    expect(login.status, login.body).toBe(200)
    const cookie = [login.headers['set-cookie'] ?? []].flat().find(c => c.startsWith('mailpanel_session='))
    expect(cookie).toMatch(/;\s*Secure/i)
    expect(cookie).toMatch(/;\s*HttpOnly/i)

    const list = await fetchTls(port, '/api/v1/certificates', installer.cert, { headers: { 'x-api-key': LEGACY_API_KEY } })
    const rows = JSON.parse(list.body).data as { source: string, fingerprint_sha256: string, active: boolean }[]
    expect(rows).toMatchObject([{ source: 'self-signed', active: true, fingerprint_sha256: fingerprint(installer.cert).replace(/:/g, '').toLowerCase() }])

    // A client that does not trust the certificate is refused, and plain HTTP gets no answer on this port.
    await expect(fetchTls(port, '/health', pki.ca.cert)).rejects.toThrow(/self[- ]signed|unable to verify/i)
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
  })

  it('prefers the stable tls/{cert,key}.pem pair (what the reconciler writes) over the self-signed one', async () => {
    const stable = pki.ca.issue({ names: ['localhost'] })
    const { port } = await startHttps((root) => {
      write(join(root, TLS_DIR, 'self-signed'), pki.selfSigned('localhost'))
      write(join(root, TLS_DIR), stable)
    })
    const health = await healthy(port, pki.ca.cert)
    expect(health.status).toBe(200)
    expect(health.peer.fingerprint256).toBe(fingerprint(stable.cert))
  })

  it('creates the self-signed pair at start when the installer has not, and serves it', async () => {
    const { root, port, databaseUrl } = await startHttps(() => {})
    const dir = join(root, TLS_DIR, 'self-signed')
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    expect(new X509Certificate(cert).subjectAltName).toBe('DNS:localhost')
    const health = await healthy(port, cert)
    expect(health.status).toBe(200)
    expect(health.peer.fingerprint256).toBe(fingerprint(cert))
    expect(existsSync(join(root, TLS_DIR, 'cert.pem'))).toBe(false)
    // `backendside-mailpanel status` finds the panel over HTTPS on its configured port (self-signed: liveness only).
    const status = await runCli(['status'], { root, databaseUrl, env: { PORT: String(port) } })
    expect(status.stdout).toMatch(new RegExp(`^panel +up at https://127\\.0\\.0\\.1:${port} \\(health: (ok|degraded)\\)$`, 'm'))
    expect(status.code, status.stdout + status.stderr).toBe(0)
  })

  it('refuses to start on an HTTPS value other than on/off', async () => {
    const root = await makeRoot({ HTTPS: 'yes' })
    cleanups.push(() => removeRoot(root))
    const { code, output } = await runServerToExit(root)
    expect(code).toBe(1)
    expect(output).toContain('HTTPS must be on or off, got yes')
  })
})
