// API load benchmark: how the built server (.output/) serves mailboxes from a large table.
//
// Seeds 1,000 domains × 100 mailboxes (100,000 rows) into a throw-away database on a real
// PostgreSQL, starts the built server against it, and drives it with autocannon (50 connections,
// 10 s per scenario, after an unreported 2 s warm-up):
//   single    GET /api/v1/mailboxes/:id, random ids across the whole table
//   deep      GET /api/v1/mailboxes?limit=50&page=1990 (near the end: rows 99,451–99,500)
//   shallow   GET /api/v1/mailboxes?limit=50&page=1
//   domain    GET /api/v1/mailboxes?domain_id=<random>&limit=50
//   baseline  GET /api/v1/me (authenticated, no database): the HTTP stack's ceiling on this machine
// For each: average req/s, p50/p99 latency, non-2xx count and the server's RSS afterwards.
// Results go to the terminal and to tests/bench/results/api-<ISO date>.json.
//
// Run:  npx nuxt build            (once; the bench never builds)
//       npm run bench             (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)

import { randomInt } from 'node:crypto'
import postgres from 'postgres'
import { benchMain, cannon, createDatabase, machine, makeRoot, printMachine, printTable, raiseRateLimits, rssMb, seedMailboxes, SERVER_ENTRY, startServer, writeResults } from './lib.mjs'

const DOMAINS = 1_000
const MAILBOXES_PER_DOMAIN = 100
const PAGE_LIMIT = 50
const DEEP_PAGE = 1_990
const CONNECTIONS = 50
const DURATION_S = 10
const WARMUP_S = 2

const TARGETS = {
  single: { label: 'single GET ≥ 3,000 req/s', met: r => r.reqPerSec >= 3_000 },
  deep: { label: 'deep page p99 < 50 ms', met: r => r.p99Ms < 50 },
}

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

async function measure(server, scenario) {
  await cannon(server.url, scenario, { connections: CONNECTIONS, duration: WARMUP_S })
  const r = await cannon(server.url, scenario, { connections: CONNECTIONS, duration: DURATION_S })
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

function verdict(result) {
  const target = TARGETS[result.key]
  if (!target) return ''
  return `${target.met(result) ? 'PASS' : 'MISS'}  (${target.label})`
}

function warnFailures(results) {
  for (const r of results.filter(r => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)) {
    console.error(`\n!!!!!! WARNING: ${r.title}: ${r.non2xx} non-2xx responses, ${r.errors} errors, ${r.timeouts} timeouts — the figures are NOT valid !!!!!!\n`)
  }
}

async function run(state) {
  const startedAt = new Date().toISOString()
  const host = machine()
  printMachine(host)
  state.db = await createDatabase()
  state.root = await makeRoot()
  console.log(`Database ${state.db.name}; starting the built server…`)
  state.server = await startServer(state.root, state.db.url)
  await raiseRateLimits(state.server.url)
  console.log(`Server up at ${state.server.url} (pid ${state.server.child.pid}, RSS ${rssMb(state.server.child.pid)} MB)`)

  state.sql = postgres(state.db.url, { max: 1, onnotice: () => {} })
  console.log(`Seeding ${DOMAINS.toLocaleString('en')} domains × ${MAILBOXES_PER_DOMAIN} mailboxes…`)
  const seeded = await seedMailboxes(state.sql, DOMAINS, MAILBOXES_PER_DOMAIN)
  console.log(`Seeded ${seeded.ids.mailboxes.toLocaleString('en')} mailboxes in ${(seeded.ms / 1000).toFixed(1)} s (incl. bcrypt + VACUUM ANALYZE)`)

  const results = []
  for (const scenario of scenarios(seeded.ids)) {
    process.stdout.write(`  ${scenario.title} … `)
    const result = await measure(state.server, scenario)
    console.log(`${result.reqPerSec} req/s, p99 ${result.p99Ms} ms`)
    results.push(result)
  }

  printTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MB', 'target'],
    results.map(r => [r.title, r.reqPerSec, r.p50Ms, r.p99Ms, r.non2xx, r.errors + r.timeouts, r.rssMb ?? '?', verdict(r)]))
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
  console.log(`Results written to ${writeResults('api', report)}`)
  return results.every(r => r.non2xx === 0 && r.errors === 0)
}

await benchMain(SERVER_ENTRY, run)
