import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import postgres from 'postgres'

export const ADMIN_USER = 'admin'
export const ADMIN_PASSWORD = 'correct-horse-battery'
export const LEGACY_API_KEY = 'legacy-api-key-0123456789abcdef'

const SERVER_ENTRY = join(process.cwd(), '.output/server/index.mjs')
const READY_TIMEOUT_MS = 60_000

export interface TestServer {
  url: string
  root: string
  /** The real database, or the embedded one's loopback socket (read from the start-up log). */
  databaseUrl: string
  /** The server process (for its memory in /proc/<pid>/status). */
  pid: number
  output: () => string
  stop: () => Promise<void>
}

/**
 * `count` distinct free loopback ports: all are held open until every one is chosen, because the
 * kernel may hand a just-released port out again (two settings on one port are refused).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => resolve(srv))
  })))
  const ports = servers.map(srv => (srv.address() as { port: number }).port)
  await Promise.all(servers.map(srv => new Promise(resolve => srv.close(resolve))))
  return ports
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1)
  return port!
}

/** A scratch MAILPANEL_ROOT with a config.env; `values` replace or drop (undefined) the defaults. */
export async function makeRoot(values: Record<string, string | undefined> = {}, fileName = 'config.env'): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'mailpanel-test-'))
  const configDir = join(root, 'etc/backendside-mailpanel')
  mkdirSync(configDir, { recursive: true })
  const defaults: Record<string, string | undefined> = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_USER,
    ADMIN_PASSWORD_HASH: await hash(ADMIN_PASSWORD, 4),
    API_KEY: LEGACY_API_KEY,
  }
  const merged = { ...defaults, ...values }
  const text = Object.entries(merged).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}='${v}'`).join('\n')
  writeFileSync(join(configDir, fileName), `${text}\n`, { mode: 0o600 })
  return root
}

/**
 * A fresh database on the PostgreSQL that DATABASE_URL names (a throw-away database per call),
 * or undefined when DATABASE_URL is unset: the server then runs on its embedded PGlite.
 */
export async function createTestDatabase(): Promise<{ url?: string, drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL
  if (!base) return { url: undefined, drop: async () => {} }
  const name = `mailpanel_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = postgres(base, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const conn = postgres(base, { max: 1, onnotice: () => {} })
      await conn.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await conn.end()
    },
  }
}

/**
 * PATH without the sbin folders, where the postfix and dovecot binaries live: the reconciler's
 * capability gate then skips the mail stack, so API tests do not pay for `postfix check` at every start.
 */
export const pathWithoutMailDaemons = () => (process.env.PATH ?? '').split(':').filter(dir => !/\/sbin\/?$/.test(dir)).join(':')

/** Spawns the built server (`.output/`) and waits until /health answers; `mailDaemons` lets its reconciler find Postfix and Dovecot. */
export async function startServer(opts: { root: string, databaseUrl?: string, env?: Record<string, string>, mailDaemons?: boolean }): Promise<TestServer> {
  const port = await freePort()
  let output = ''
  // POLICYD_LISTEN port 0: each test server's policy daemon on a free port, never fighting over 10031.
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...(!opts.mailDaemons && { PATH: pathWithoutMailDaemons() }),
    MAILPANEL_ROOT: opts.root,
    PORT: String(port),
    HOST: '127.0.0.1',
    CONSOLA_LEVEL: '3',
    POLICYD_LISTEN: '127.0.0.1:0',
    ...opts.env,
  }
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl
  else delete env.DATABASE_URL
  const child: ChildProcess = spawn(process.execPath, [SERVER_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))

  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) break
    }
    catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not become healthy in ${READY_TIMEOUT_MS} ms:\n${output}`)
    }
    await new Promise(r => setTimeout(r, 100))
  }
  const embedded = /Embedded PostgreSQL \(PGlite\) at (postgres:\/\/\S+)/.exec(output)?.[1]
  return {
    url,
    root: opts.root,
    databaseUrl: opts.databaseUrl ?? embedded ?? '',
    pid: child.pid!,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Runs the server entry to completion (for start-up failures) and returns its exit code and output. */
export async function runServerToExit(root: string, env: Record<string, string> = {}): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: { ...process.env, PATH: pathWithoutMailDaemons(), MAILPANEL_ROOT: root, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const code = await new Promise<number | null>(resolve => child.once('exit', c => resolve(c)))
  clearTimeout(timer)
  return { code, output }
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true })
}

/** Sets generous per-IP limits on a test server (its defaults are 5 sign-ins and 60 API calls a minute). */
export async function raiseRateLimits(url: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/security/settings`, {
    method: 'PUT',
    headers: { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ login_rate_limit: 100_000, api_rate_limit: 1_000_000 }),
  })
  if (!res.ok) throw new Error(`could not raise rate limits: ${res.status} ${await res.text()}`)
}
