// Reconciler and Dovecot-lookup benchmark at 1,000 domains / 100,000 mailboxes (issue 4's measure).
//
// Seeds a throw-away database on the real PostgreSQL, starts the built server against it (with the
// machine's Postfix and Dovecot binaries on PATH, daemons not running), then times, from the
// reconciler's own recorded duration_ms and from the HTTP round trip:
//   first run     a run with no file on disk yet: render + stage + postconf/postfix check/doveconf + write
//   full run      main.cf and dovecot.conf edited by hand, so both daemons re-validate and rewrite (median of 5)
//   no change     POST /api/v1/reconcile with nothing to change, 50 times (aim: under 200 ms, no reload)
// and the Dovecot password lookup: the exact password_query from the rendered dovecot-sql.conf.ext,
// EXPLAIN ANALYZE (must be index scans only) and 2,000 lookups of random existing addresses.
//
// Run:  npx nuxt build  (once)  then  npm run bench:reconcile

import { randomInt } from 'node:crypto'
import { appendFileSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { API_KEY, benchMain, createDatabase, machine, makeRoot, printMachine, printTable, seedMailboxes, SERVER_ENTRY, sleep, startServer, writeResults } from './lib.mjs'

const DOMAINS = 1_000
const MAILBOXES_PER_DOMAIN = 100
const FULL_RUNS = 5
const NO_CHANGE_RUNS = 50
const LOOKUPS = 2_000
const NO_CHANGE_AIM_MS = 200

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const round = (ms, digits = 1) => Math.round(ms * 10 ** digits) / 10 ** digits

async function call(url, path, method = 'GET') {
  const started = performance.now()
  const res = await fetch(`${url}${path}`, { method, headers: { 'x-api-key': API_KEY, 'accept': 'application/json' } })
  const body = await res.json()
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`)
  return { body, wallMs: performance.now() - started }
}

async function startRun(url) {
  for (let i = 0; i < 600; i++) {
    const { body } = await call(url, '/api/v1/reconcile/status')
    if (body.last_run) return body.last_run
    await sleep(100)
  }
  throw new Error('the start-up reconcile never finished')
}

function assertOk(report, what) {
  if (!report.ok) throw new Error(`${what}: ${report.errors.join('; ')}`)
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, flattened. */
const planNodes = node => [node, ...(node.Plans ?? []).flatMap(planNodes)]

async function dovecotLookup(sql, root, ids) {
  const conf = readFileSync(join(root, 'etc/dovecot/dovecot-sql.conf.ext'), 'utf8')
  const query = /^password_query = (.*)$/m.exec(conf)[1]
  const address = () => {
    const d = randomInt(1, DOMAINS + 1)
    const u = randomInt(1, MAILBOXES_PER_DOMAIN + 1)
    return { domain: `bench-${String(d).padStart(4, '0')}.example.test`, user: `user${String(u).padStart(3, '0')}` }
  }
  // Dovecot substitutes %Ld / %Ln with the SQL-escaped, lower-cased parts: the same text it sends.
  const text = ({ domain, user }) => query.replaceAll('%Ld', domain).replaceAll('%Ln', user)
  const [{ 'QUERY PLAN': [plan] }] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${text(address())}`)
  const nodes = planNodes(plan.Plan)
  const scans = nodes.filter(n => n['Relation Name']).map(n => `${n['Node Type']} on ${n['Relation Name']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`)
  const seqScans = nodes.filter(n => n['Node Type'] === 'Seq Scan' && n['Relation Name'] !== 'server_settings')
  const times = []
  for (let i = 0; i < LOOKUPS; i++) {
    const started = performance.now()
    const rows = await sql.unsafe(text(address()))
    times.push(performance.now() - started)
    if (rows.length !== 1) throw new Error('a seeded address was not found by the password query')
  }
  return { query, scans, seqScans: seqScans.length, executionMs: plan['Execution Time'], p50Ms: round(percentile(times, 50), 3), p99Ms: round(percentile(times, 99), 3), mailboxes: ids.mailboxes }
}

async function run(state) {
  const startedAt = new Date().toISOString()
  const host = machine()
  printMachine(host)
  state.db = await createDatabase()
  state.root = await makeRoot()
  state.server = await startServer(state.root, state.db.url)
  const url = state.server.url
  assertOk(await startRun(url), 'start-up run')
  state.sql = postgres(state.db.url, { max: 1, onnotice: () => {} })
  console.log(`Seeding ${DOMAINS.toLocaleString('en')} domains × ${MAILBOXES_PER_DOMAIN} mailboxes into ${state.db.name}…`)
  const seeded = await seedMailboxes(state.sql, DOMAINS, MAILBOXES_PER_DOMAIN)

  // The first run on a machine: no file exists yet, every one is rendered, validated and created.
  for (const dir of ['etc/postfix', 'etc/dovecot']) rmSync(join(state.root, dir), { recursive: true, force: true })
  const { body: first } = await call(url, '/api/v1/reconcile', 'POST')
  assertOk(first, 'first run')
  console.log(`First run: ${first.duration_ms} ms (${first.files.length} files ${[...new Set(first.files.map(f => f.result))].join('/')})`)

  const full = []
  for (let i = 0; i < FULL_RUNS; i++) {
    appendFileSync(join(state.root, 'etc/postfix/main.cf'), `# drift ${i}\n`)
    appendFileSync(join(state.root, 'etc/dovecot/dovecot.conf'), `# drift ${i}\n`)
    const { body, wallMs } = await call(url, '/api/v1/reconcile', 'POST')
    assertOk(body, 'full run')
    if (body.files.filter(f => f.result === 'updated').length !== 2) throw new Error(`expected 2 updated files: ${JSON.stringify(body.files)}`)
    full.push({ ms: body.duration_ms, wallMs })
  }

  const noChange = []
  for (let i = 0; i < NO_CHANGE_RUNS; i++) {
    const { body, wallMs } = await call(url, '/api/v1/reconcile', 'POST')
    assertOk(body, 'no-change run')
    if (body.changed || body.reloads.length || body.files.some(f => f.result !== 'unchanged')) throw new Error(`a no-change run changed something: ${JSON.stringify(body)}`)
    noChange.push({ ms: body.duration_ms, wallMs })
  }

  const lookup = await dovecotLookup(state.sql, state.root, seeded.ids)

  const median = (xs, key) => round(percentile(xs.map(x => x[key]), 50))
  const rows = [
    ['first run (empty root, render + validate + write)', first.duration_ms, '-', '-', ''],
    [`full run (both daemons re-validated), median of ${FULL_RUNS}`, median(full, 'ms'), median(full, 'wallMs'), round(Math.max(...full.map(x => x.ms))), ''],
    [`no-change run, median of ${NO_CHANGE_RUNS}`, median(noChange, 'ms'), median(noChange, 'wallMs'), round(Math.max(...noChange.map(x => x.ms))),
      `${percentile(noChange.map(x => x.wallMs), 99) < NO_CHANGE_AIM_MS ? 'PASS' : 'MISS'} (< ${NO_CHANGE_AIM_MS} ms, no reload)`],
  ]
  printTable(['run', 'reconciler ms', 'HTTP ms', 'max ms', 'aim'], rows)
  console.log(`Dovecot password_query at ${lookup.mailboxes.toLocaleString('en')} mailboxes: ${lookup.scans.join('; ')}`)
  console.log(`  EXPLAIN ANALYZE execution ${lookup.executionMs} ms; ${LOOKUPS} lookups of random addresses: p50 ${lookup.p50Ms} ms, p99 ${lookup.p99Ms} ms (client round trip)`)
  console.log(`  ${lookup.seqScans === 0 ? 'PASS' : 'MISS'}: ${lookup.seqScans} sequential scans on domains/mailboxes`)

  const report = {
    startedAt,
    node: process.version,
    machine: host,
    config: { domains: DOMAINS, mailboxesPerDomain: MAILBOXES_PER_DOMAIN, fullRuns: FULL_RUNS, noChangeRuns: NO_CHANGE_RUNS, lookups: LOOKUPS },
    first: { ms: first.duration_ms },
    full,
    noChange,
    lookup,
  }
  console.log(`Results written to ${writeResults('reconcile', report)}`)
  return lookup.seqScans === 0
}

await benchMain(SERVER_ENTRY, run)
