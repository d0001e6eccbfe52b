// API load benchmark: how the built server (.output/) serves mailboxes from a large table.
//
// Seeds 1,000 domains × 100 mailboxes (100,000 rows) into a throw-away database on a real
// PostgreSQL, starts the built server against it, and drives it with autocannon (50 connections,
// 10 s per scenario, after an unreported 2 s warm-up):
//   single    GET /api/v1/mailboxes/:id, random ids across the whole table
//   deep      GET /api/v1/mailboxes?limit=50&page=1990 (near the end: OFFSET 99,450)
//   shallow   GET /api/v1/mailboxes?limit=50&page=1
//   domain    GET /api/v1/mailboxes?domain_id=<random>&limit=50
//   baseline  GET /api/v1/me (authenticated, no database): the HTTP stack's ceiling on this machine
// For each: average req/s, p50/p99 latency, non-2xx count and the server's RSS afterwards.
// Results go to the terminal and to tests/bench/results/api-<ISO date>.json.
//
// Run:  npx nuxt build            (once; the bench never builds)
//       npm run bench             (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)

import { spawn } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hash } from '@node-rs/bcrypt'
import autocannon from 'autocannon'
import postgres from 'postgres'

const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..')
const SERVER_ENTRY = join(PROJECT_DIR, '.output/server/index.mjs')
const RESULTS_DIR = join(PROJECT_DIR, 'tests/bench/results')
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const API_KEY = `bench-api-key-${randomBytes(16).toString('hex')}`

const DOMAINS = 1_000
const MAILBOXES_PER_DOMAIN = 100
const PAGE_LIMIT = 50
const DEEP_PAGE = 1_990
const CONNECTIONS = 50
const DURATION_S = 10
const WARMUP_S = 2
const READY_TIMEOUT_MS = 60_000
const START_ATTEMPTS = 3
const START_RETRY_DELAY_MS = 30_000
const OUTPUT_KEEP_CHARS = 64_000

const TARGETS = {
  single: { label: 'single GET ≥ 3,000 req/s', met: r => r.reqPerSec >= 3_000 },
  deep: { label: 'deep page p99 < 50 ms', met: r => r.p99Ms < 50 },
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// ---------------------------------------------------------------- database

async function createDatabase() {
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

async function dropDatabase(name) {
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
  finally {
    await admin.end()
  }
}

async function seed(sql) {
  const started = performance.now()
  const passwordHash = `{BLF-CRYPT}${await hash('bench-password', 10)}`
  await sql`
    INSERT INTO domains (name, description)
    SELECT 'bench-' || lpad(g::text, 4, '0') || '.example.test', 'bench domain ' || g
    FROM generate_series(1, ${DOMAINS}) g`
  await sql`
    INSERT INTO mailboxes (domain_id, username, password, name)
    SELECT d.id, 'user' || lpad(g::text, 3, '0'), ${passwordHash}, 'Bench User ' || g
    FROM domains d CROSS JOIN generate_series(1, ${MAILBOXES_PER_DOMAIN}) g
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

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), 'mailpanel-bench-'))
  const configDir = join(root, 'etc/backendside-mailpanel')
  mkdirSync(configDir, { recursive: true })
  const config = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_USER: 'admin',
    ADMIN_PASSWORD_HASH: await hash(randomBytes(12).toString('hex'), 4),
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

async function startServerOnce(root, databaseUrl) {
  const port = await freePort()
  let output = ''
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: serverEnv(root, databaseUrl, port), stdio: ['ignore', 'pipe', 'pipe'] })
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
async function startServer(root, databaseUrl) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(root, databaseUrl)
    }
    catch (err) {
      if (attempt >= START_ATTEMPTS || !isMissingFile(err)) throw err
      console.warn(`Server start failed on a missing file (attempt ${attempt}); retrying in ${START_RETRY_DELAY_MS / 1000} s…`)
      await sleep(START_RETRY_DELAY_MS)
    }
  }
}

function rssMb(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Math.round(Number(kb) / 102.4) / 10 : null
  }
  catch {
    return null
  }
}

// ---------------------------------------------------------------- load

function scenarios(ids) {
  const mailboxId = () => randomInt(ids.min_mailbox, ids.max_mailbox + 1)
  const domainId = () => randomInt(ids.min_domain, ids.max_domain + 1)
  return [
    { key: 'single', title: 'GET /mailboxes/:id (random)', setupRequest: req => ({ ...req, path: `/api/v1/mailboxes/${mailboxId()}` }) },
    { key: 'deep', title: `GET /mailboxes?page=${DEEP_PAGE}`, path: `/api/v1/mailboxes?limit=${PAGE_LIMIT}&page=${DEEP_PAGE}` },
    { key: 'shallow', title: 'GET /mailboxes?page=1', path: `/api/v1/mailboxes?limit=${PAGE_LIMIT}&page=1` },
    { key: 'domain', title: 'GET /mailboxes?domain_id=<rnd>', setupRequest: req => ({ ...req, path: `/api/v1/mailboxes?domain_id=${domainId()}&limit=${PAGE_LIMIT}` }) },
    { key: 'baseline', title: 'GET /me (no DB, reference)', path: '/api/v1/me' },
  ]
}

function cannon(url, scenario, duration) {
  const request = { method: 'GET', path: scenario.path ?? '/' }
  if (scenario.setupRequest) request.setupRequest = scenario.setupRequest
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers: { 'x-api-key': API_KEY, 'accept': 'application/json' },
    requests: [request],
  })
}

async function measure(server, scenario) {
  await cannon(server.url, scenario, WARMUP_S)
  const r = await cannon(server.url, scenario, DURATION_S)
  return {
    key: scenario.key,
    title: scenario.title,
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    rssMb: rssMb(server.child.pid),
  }
}

// ---------------------------------------------------------------- report

/** The server, PostgreSQL and autocannon share this machine: its size and load bound every figure. */
function machine() {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? '?', loadavg1m: Math.round(loadavg()[0] * 100) / 100 }
}

function printMachine(m) {
  console.log(`Machine: ${m.cpus} CPUs (${m.cpuModel}), load average ${m.loadavg1m}; server, PostgreSQL and autocannon all run here`)
  if (m.loadavg1m > m.cpus / 2) console.warn(`!!! The machine is already busy (load ${m.loadavg1m} on ${m.cpus} CPUs): expect low, noisy figures !!!`)
}

function verdict(result) {
  const target = TARGETS[result.key]
  if (!target) return ''
  return `${target.met(result) ? 'PASS' : 'MISS'}  (${target.label})`
}

function printTable(results) {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MB', 'target']
  const rows = results.map(r => [r.title, r.reqPerSec, r.p50Ms, r.p99Ms, r.non2xx, r.errors + r.timeouts, r.rssMb ?? '?', verdict(r)].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)))
  const line = cells => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
  console.log(`\n${line(header)}\n${widths.map(w => '-'.repeat(w)).join('  ')}`)
  for (const row of rows) console.log(line(row))
  console.log('')
}

function warnFailures(results) {
  for (const r of results.filter(r => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)) {
    console.error(`\n!!!!!! WARNING: ${r.title}: ${r.non2xx} non-2xx responses, ${r.errors} errors, ${r.timeouts} timeouts — the figures are NOT valid !!!!!!\n`)
  }
}

function writeResults(report) {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const gitignore = join(RESULTS_DIR, '.gitignore')
  if (!existsSync(gitignore)) writeFileSync(gitignore, '*.json\n')
  const file = join(RESULTS_DIR, `api-${report.startedAt.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

// ---------------------------------------------------------------- main

function makeCleanup(state) {
  let running
  return () => (running ??= (async () => {
    await state.server?.stop().catch(err => console.error(`stopping the server: ${err.message}`))
    await state.sql?.end({ timeout: 2 }).catch(() => {})
    if (state.db) await dropDatabase(state.db.name).catch(err => console.error(`dropping ${state.db.name}: ${err.message}`))
    if (state.root) rmSync(state.root, { recursive: true, force: true })
  })())
}

function onSignal(cleanup) {
  const handler = async (signal) => {
    console.error(`\n${signal}: stopping the server and dropping the database…`)
    await cleanup()
    process.exit(130)
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
}

async function run(state) {
  const startedAt = new Date().toISOString()
  const host = machine()
  printMachine(host)
  state.db = await createDatabase()
  state.root = await makeRoot()
  console.log(`Database ${state.db.name}; starting the built server…`)
  state.server = await startServer(state.root, state.db.url)
  console.log(`Server up at ${state.server.url} (pid ${state.server.child.pid}, RSS ${rssMb(state.server.child.pid)} MB)`)

  state.sql = postgres(state.db.url, { max: 1, onnotice: () => {} })
  console.log(`Seeding ${DOMAINS.toLocaleString('en')} domains × ${MAILBOXES_PER_DOMAIN} mailboxes…`)
  const seeded = await seed(state.sql)
  console.log(`Seeded ${seeded.ids.mailboxes.toLocaleString('en')} mailboxes in ${(seeded.ms / 1000).toFixed(1)} s (incl. bcrypt + VACUUM ANALYZE)`)

  const results = []
  for (const scenario of scenarios(seeded.ids)) {
    process.stdout.write(`  ${scenario.title} … `)
    const result = await measure(state.server, scenario)
    console.log(`${result.reqPerSec} req/s, p99 ${result.p99Ms} ms`)
    results.push(result)
  }

  printTable(results)
  warnFailures(results)
  const report = {
    startedAt,
    node: process.version,
    machine: host,
    config: { domains: DOMAINS, mailboxesPerDomain: MAILBOXES_PER_DOMAIN, connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, deepPage: DEEP_PAGE, pageLimit: PAGE_LIMIT },
    seedMs: seeded.ms,
    targets: Object.fromEntries(results.filter(r => TARGETS[r.key]).map(r => [r.key, { target: TARGETS[r.key].label, pass: TARGETS[r.key].met(r) }])),
    results,
  }
  console.log(`Results written to ${writeResults(report)}`)
  return results.every(r => r.non2xx === 0 && r.errors === 0)
}

async function main() {
  if (!existsSync(SERVER_ENTRY)) {
    console.error(`No built server at ${SERVER_ENTRY}. Build it first: npx nuxt build`)
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

await main()
