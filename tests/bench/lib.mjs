// Shared plumbing for the benchmarks: a throw-away database on the real PostgreSQL, the built server
// started against it, autocannon, the machine's size and load, and the results table.

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hash } from '@node-rs/bcrypt'
import autocannon from 'autocannon'
import postgres from 'postgres'

export const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..')
export const SERVER_ENTRY = join(PROJECT_DIR, '.output/server/index.mjs')
const RESULTS_DIR = join(PROJECT_DIR, 'tests/bench/results')
export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
export const API_KEY = `bench-api-key-${randomBytes(16).toString('hex')}`
// The admin's password in every bench root, for what signs in like a person (the scale bench's dashboard check).
export const ADMIN_PASSWORD = randomBytes(12).toString('hex')
const READY_TIMEOUT_MS = 60_000
const START_ATTEMPTS = 3
const START_RETRY_DELAY_MS = 30_000
const OUTPUT_KEEP_CHARS = 64_000

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// ---------------------------------------------------------------- database

export async function createDatabase() {
  const name = `mailpanel_bench_${randomBytes(6).toString('hex')}`
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  }
  finally {
    await admin.end()
  }
  const url = new URL(DATABASE_URL)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

export async function dropDatabase(name) {
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
  finally {
    await admin.end()
  }
}

/** `domains` × `perDomain` mailboxes with one shared bcrypt hash; returns the id ranges. */
export async function seedMailboxes(sql, domains, perDomain) {
  const started = performance.now()
  const passwordHash = `{BLF-CRYPT}${await hash('bench-password', 10)}`
  await sql`
    INSERT INTO domains (name, description)
    SELECT 'bench-' || lpad(g::text, 4, '0') || '.example.test', 'bench domain ' || g
    FROM generate_series(1, ${domains}) g`
  await sql`
    INSERT INTO mailboxes (domain_id, username, password, name)
    SELECT d.id, 'user' || lpad(g::text, 3, '0'), ${passwordHash}, 'Bench User ' || g
    FROM domains d CROSS JOIN generate_series(1, ${perDomain}) g
    ORDER BY d.id, g`
  await sql.unsafe('VACUUM ANALYZE domains')
  await sql.unsafe('VACUUM ANALYZE mailboxes')
  const [ids] = await sql`
    SELECT (SELECT min(id) FROM mailboxes) AS min_mailbox, (SELECT max(id) FROM mailboxes) AS max_mailbox,
           (SELECT min(id) FROM domains) AS min_domain, (SELECT max(id) FROM domains) AS max_domain,
           (SELECT count(*)::int FROM mailboxes) AS mailboxes`
  return { ms: Math.round(performance.now() - started), ids }
}

// ---------------------------------------------------------------- server

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

export async function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), 'mailpanel-bench-'))
  const configDir = join(root, 'etc/backendside-mailpanel')
  mkdirSync(configDir, { recursive: true })
  const config = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_USER: 'admin',
    ADMIN_PASSWORD_HASH: await hash(ADMIN_PASSWORD, 4),
    API_KEY,
  }
  const text = Object.entries(config).map(([k, v]) => `${k}='${v}'`).join('\n')
  writeFileSync(join(configDir, 'config.env'), `${text}\n`, { mode: 0o600 })
  return root
}

function serverEnv(root, databaseUrl, port) {
  const env = { ...process.env, MAILPANEL_ROOT: root, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', CONSOLA_LEVEL: '3', NODE_ENV: 'production' }
  // The environment overrides config.env; don't let the caller's shell change the bench's credentials.
  for (const key of ['JWT_SECRET', 'API_KEY', 'ADMIN_USER', 'ADMIN_PASSWORD_HASH']) delete env[key]
  return env
}

async function waitForHealth(child, url, output) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    }
    catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`server did not become healthy in ${READY_TIMEOUT_MS} ms:\n${output()}`)
    await sleep(100)
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

async function startServerOnce(entry, root, databaseUrl) {
  const port = await freePort()
  let output = ''
  const child = spawn(process.execPath, [entry], { env: serverEnv(root, databaseUrl, port), stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (d) => {
    output = (output + d).slice(-OUTPUT_KEEP_CHARS)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForHealth(child, url, () => output)
  }
  catch (err) {
    await stopChild(child)
    throw err
  }
  return { url, child, output: () => output, stop: () => stopChild(child) }
}

const isMissingFile = err => /ERR_MODULE_NOT_FOUND|Cannot find module|ENOENT/.test(err.message)

/** Another engineer may be rebuilding .output/ concurrently: a missing file gets a few retries. */
export async function startServer(root, databaseUrl, entry = SERVER_ENTRY) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(entry, root, databaseUrl)
    }
    catch (err) {
      if (attempt >= START_ATTEMPTS || !isMissingFile(err)) throw err
      console.warn(`Server start failed on a missing file (attempt ${attempt}); retrying in ${START_RETRY_DELAY_MS / 1000} s…`)
      await sleep(START_RETRY_DELAY_MS)
    }
  }
}

/** The server's defaults (60 API calls a minute per IP) would turn a load test into a 429 test. */
export async function raiseRateLimits(url) {
  const res = await fetch(`${url}/api/v1/security/settings`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ login_rate_limit: 100_000, api_rate_limit: 1_000_000 }),
  })
  if (!res.ok) throw new Error(`could not raise the rate limits: ${res.status} ${await res.text()}`)
}

export function rssMb(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Math.round(Number(kb) / 102.4) / 10 : null
  }
  catch {
    return null
  }
}

// ---------------------------------------------------------------- load and report

/** One autocannon run; `scenario` has `path` or `setupRequest`, optional `headers`. */
export function cannon(url, scenario, { connections, duration, headers = {} }) {
  const request = { method: 'GET', path: scenario.path ?? '/' }
  if (scenario.setupRequest) request.setupRequest = scenario.setupRequest
  return autocannon({
    url,
    connections,
    duration,
    headers: { 'x-api-key': API_KEY, 'accept': 'application/json', ...headers, ...scenario.headers },
    requests: [request],
  })
}

export function machine() {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? '?', loadavg1m: Math.round(loadavg()[0] * 100) / 100 }
}

export function printMachine(m) {
  console.log(`Machine: ${m.cpus} CPUs (${m.cpuModel}), load average ${m.loadavg1m}; server, PostgreSQL and autocannon all run here`)
  if (m.loadavg1m > m.cpus / 2) console.warn(`!!! The machine is already busy (load ${m.loadavg1m} on ${m.cpus} CPUs): expect low, noisy figures !!!`)
}

/** `rows`: arrays of cells; the first and last columns are left-aligned, the rest right-aligned. */
export function printTable(header, rows) {
  rows = rows.map(row => row.map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)))
  const line = cells => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
  console.log(`\n${line(header)}\n${widths.map(w => '-'.repeat(w)).join('  ')}`)
  for (const row of rows) console.log(line(row))
  console.log('')
}

export function writeResults(name, report) {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const gitignore = join(RESULTS_DIR, '.gitignore')
  if (!existsSync(gitignore)) writeFileSync(gitignore, '*.json\n')
  const file = join(RESULTS_DIR, `${name}-${report.startedAt.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

// ---------------------------------------------------------------- lifecycle

export function makeCleanup(state) {
  let running
  return () => (running ??= (async () => {
    await state.server?.stop().catch(err => console.error(`stopping the server: ${err.message}`))
    await state.sql?.end({ timeout: 2 }).catch(() => {})
    if (state.db) await dropDatabase(state.db.name).catch(err => console.error(`dropping ${state.db.name}: ${err.message}`))
    if (state.root) rmSync(state.root, { recursive: true, force: true })
  })())
}

export function onSignal(cleanup) {
  const handler = async (signal) => {
    console.error(`\n${signal}: stopping the server and dropping the database…`)
    await cleanup()
    process.exit(130)
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
}

/** Runs `run(state)` with cleanup on success, failure and Ctrl-C; exits 0 only if it returned true. */
export async function benchMain(entry, run) {
  if (!existsSync(entry)) {
    console.error(`No built server at ${entry}. Build it first.`)
    process.exit(1)
  }
  const state = {}
  const cleanup = makeCleanup(state)
  onSignal(cleanup)
  let ok = false
  try {
    ok = await run(state)
  }
  catch (err) {
    console.error(`Bench failed: ${err.stack ?? err.message}`)
  }
  finally {
    await cleanup()
  }
  process.exit(ok ? 0 : 1)
}
