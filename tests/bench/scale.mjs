// `npm run bench:scale [-- --sizes 100000,1000000] [--ten-million] [--check] [--json]` (after `npx nuxt build`):
// what every operation costs as the directory grows (issue 14). For each size it seeds a throw-away
// database straight in PostgreSQL (size/100 domains × 100 mailboxes, 10 aliases per domain), starts
// the built server on it and measures, over HTTP as a client sees it, p50/p99 of the lists, searches
// and GETs, create and delete; the Dovecot and Postfix lookups exactly as the daemons send them
// (EXPLAIN: index scans only); a no-change reconcile; policy decisions for logins never seen before;
// backup and restore (time, the server's RSS growth) against pg_dump of the same tables. It prints a
// size × operation table, the growth per 10× of data and each aim met or missed.
// `--check` (CI, e.g. `--sizes 2000 --check`) asserts what the results must be at any size; `--no-browser`
// leaves out the dashboard in Chromium (tests/bench/scale-dashboard.mjs).

import { spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import postgres from 'postgres'
import { ADMIN_PASSWORD, API_KEY, createDatabase, dropDatabase, machine, makeRoot, printMachine, printTable, raiseRateLimits, rssMb, SERVER_ENTRY, sleep, startServer, writeResults } from './lib.mjs'
import { policyLoad, policyRequest } from './policy-client.mjs'
import { measureDashboard } from './scale-dashboard.mjs'

const argv = process.argv.slice(2)
const flag = name => argv.includes(`--${name}`)
const option = name => argv[argv.indexOf(`--${name}`) + 1]
const SIZES = flag('sizes') ? option('sizes').split(',').map(Number) : [100_000, 1_000_000, ...(flag('ten-million') ? [10_000_000] : [])]
const CHECK = flag('check')
const PER_DOMAIN = 100
const ALIASES_PER_DOMAIN = 10
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60)
const WARMUP = 3
const WRITE_SAMPLES = 10
const LOOKUPS = 500
const POLICY_REQUESTS = 2_000
// Past the limits cache's cap (100,000 logins, server/policyd/limits-cache.ts): its size and the RSS must stay bounded.
const POLICY_FLOOD = Number(process.env.BENCH_POLICY_FLOOD ?? 120_000)
const AIM_P99_MS = 50
const AIM_BACKUP_RSS_MB = 200
const AIM_PG_DUMP_RATIO = 2
const AIM_SIZE = 1_000_000
// An interaction in the dashboard (a search includes its 250 ms typing pause) until its rows show.
const AIM_DASHBOARD_MS = 1000
// A copy of .output elsewhere keeps a long run safe from a rebuild in the checkout.
const ENTRY = process.env.BENCH_SERVER_ENTRY || SERVER_ENTRY

if (SIZES.some(n => !Number.isInteger(n) || n < PER_DOMAIN * 2 || n % PER_DOMAIN)) {
  console.error(`--sizes: whole multiples of ${PER_DOMAIN}, at least ${PER_DOMAIN * 2}`)
  process.exit(2)
}

const domainName = i => `d${String(i).padStart(7, '0')}.scale.test`
const userName = j => `user${String(j).padStart(3, '0')}`
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits
const headers = { 'x-api-key': API_KEY, 'accept': 'application/json' }

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b)
  return { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2), n: sorted.length }
}

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`)
}

async function call(url, path, { method = 'GET', body } = {}) {
  const started = performance.now()
  const res = await fetch(`${url}${path}`, {
    method, headers: body ? { ...headers, 'content-type': 'application/json' } : headers, body: body && JSON.stringify(body),
  })
  const json = await res.json()
  return { status: res.status, body: json, ms: performance.now() - started }
}

/** `samples` timed calls of `make(i)` (a path, or {path, method, body}) after a warm-up; `verify` sees each answer. */
async function timed(url, make, verify = () => {}, samples = SAMPLES, warmup = WARMUP) {
  const times = []
  for (let i = -warmup; i < samples; i++) {
    const req = make(i)
    const res = await call(url, typeof req === 'string' ? req : req.path, typeof req === 'string' ? {} : req)
    if (res.status >= 300) throw new Error(`${typeof req === 'string' ? req : `${req.method} ${req.path}`}: ${res.status} ${JSON.stringify(res.body)}`)
    verify(res.body)
    if (i >= 0) times.push(res.ms)
  }
  return summary(times)
}

// ---------------------------------------------------------------- seeding

/**
 * Straight into PostgreSQL: the trigram indexes are dropped for the insert and rebuilt after (their
 * definitions read back from pg_indexes, so they are the migration's own), and each row's address
 * is written directly rather than by its trigger; everything else (count triggers, checks) runs.
 */
async function seed(sql, mailboxes) {
  const started = performance.now()
  const domains = mailboxes / PER_DOMAIN
  const [{ password }] = await sql`SELECT '{BLF-CRYPT}' || ${'$2b$10$'} || repeat('a', 53) AS password`
  const indexes = await sql`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%gin_trgm_ops%'`
  for (const { indexname } of indexes) await sql.unsafe(`DROP INDEX ${indexname}`)
  await sql`ALTER TABLE mailboxes DISABLE TRIGGER mailboxes_address`
  await sql`ALTER TABLE aliases DISABLE TRIGGER aliases_address`
  await sql`INSERT INTO domains (name, description) SELECT 'd' || lpad(g::text, 7, '0') || '.scale.test', 'scale domain ' || g FROM generate_series(1, ${domains}) g`
  // In slices of 100,000 so a 10,000,000 run never holds one giant statement's state.
  const step = 1000
  for (let from = 1; from <= domains; from += step) {
    const to = Math.min(domains, from + step - 1)
    await sql`
      INSERT INTO mailboxes (domain_id, username, password, name, address)
      SELECT d.id, 'user' || lpad(g::text, 3, '0'), ${password}, 'Scale User ' || g || ' of ' || d.name, 'user' || lpad(g::text, 3, '0') || '@' || d.name
      FROM domains d CROSS JOIN generate_series(1, ${PER_DOMAIN}) g WHERE d.id BETWEEN ${from} AND ${to} ORDER BY d.id, g`
    await sql`
      INSERT INTO aliases (domain_id, local_part, destinations, address)
      SELECT d.id, 'alias' || g, ARRAY['user' || lpad(g::text, 3, '0') || '@' || d.name, 'forward' || g || '@elsewhere.example'], 'alias' || g || '@' || d.name
      FROM domains d CROSS JOIN generate_series(1, ${ALIASES_PER_DOMAIN}) g WHERE d.id BETWEEN ${from} AND ${to}`
  }
  await sql`ALTER TABLE mailboxes ENABLE TRIGGER mailboxes_address`
  await sql`ALTER TABLE aliases ENABLE TRIGGER aliases_address`
  for (const { indexdef } of indexes) await sql.unsafe(indexdef)
  await sql.unsafe('VACUUM ANALYZE domains, mailboxes, aliases')
  return { domains, seconds: round((performance.now() - started) / 1000) }
}

// ---------------------------------------------------------------- the daemons' own queries

/** Every node of an EXPLAIN (FORMAT JSON) plan, flattened. */
const planNodes = node => [node, ...(node.Plans ?? []).flatMap(planNodes)]

/** The rendered lookups with a seeded address put in as the daemon would (%Ld/%Ln Dovecot, %s/%u/%d Postfix). */
function daemonQueries(root) {
  const line = (file, key) => new RegExp(`^${key} = (.*)$`, 'm').exec(readFileSync(join(root, file), 'utf8'))?.[1]
  const dovecot = line('etc/dovecot/dovecot-sql.conf.ext', 'password_query')
  const postfix = file => line(`etc/postfix/${file}`, 'query')
  return [
    ['Dovecot password_query', dovecot, (d, u) => dovecot.replaceAll('%Ld', d).replaceAll('%Ln', u)],
    ...['pgsql-virtual-domains.cf', 'pgsql-virtual-mailboxes.cf', 'pgsql-virtual-aliases.cf', 'pgsql-sender-login.cf'].map((file) => {
      const q = postfix(file)
      // The domains map is asked for a domain; the others for an address.
      const key = file.includes('domains') ? d => d : (d, u) => `${u}@${d}`
      return [`Postfix ${file.replace(/^pgsql-|\.cf$/g, '')}`, q, (d, u) => q.replaceAll('%s', key(d, u)).replaceAll('%u', u).replaceAll('%d', d)]
    }),
  ].filter(([, query]) => query)
}

async function daemonLookups(sql, root, domains) {
  const results = []
  for (const [name, , text] of daemonQueries(root)) {
    const pick = () => [domainName(randomInt(1, domains + 1)), userName(randomInt(1, PER_DOMAIN + 1))]
    const [{ 'QUERY PLAN': [plan] }] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${text(...pick())}`)
    const seqScans = planNodes(plan.Plan).filter(n => n['Node Type'] === 'Seq Scan' && ['domains', 'mailboxes', 'aliases'].includes(n['Relation Name']))
    const times = []
    for (let i = 0; i < LOOKUPS; i++) {
      const query = text(...pick())
      const started = performance.now()
      const rows = await sql.unsafe(query)
      times.push(performance.now() - started)
      if (CHECK && rows.length < 1) throw new Error(`${name} found no row for a seeded address`)
    }
    results.push({ name, indexOnly: seqScans.length === 0, ...summary(times) })
  }
  return results
}

// ---------------------------------------------------------------- backup and restore

/** Polls the server's RSS while `work` runs; the growth is the peak over the level before. */
async function withPeakRss(pid, work) {
  const before = rssMb(pid)
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0)
  }, 20)
  try {
    const result = await work()
    peak = Math.max(peak, rssMb(pid) ?? 0)
    return { ...result, rssBeforeMb: before, rssGrowthMb: round(peak - before) }
  }
  finally {
    clearInterval(timer)
  }
}

async function backup(url, pid, file) {
  return withPeakRss(pid, async () => {
    const started = performance.now()
    const res = await fetch(`${url}/api/v1/admin/backup`, { headers })
    if (res.status !== 200) return { status: res.status, seconds: round((performance.now() - started) / 1000, 2) }
    await pipeline(Readable.fromWeb(res.body), createWriteStream(file))
    return { status: 200, seconds: round((performance.now() - started) / 1000, 2), mb: round(statSync(file).size / 1048576) }
  })
}

async function restore(url, pid, file) {
  return withPeakRss(pid, async () => {
    const started = performance.now()
    const res = await fetch(`${url}/api/v1/admin/restore`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/gzip' }, body: Readable.toWeb(createReadStream(file)), duplex: 'half',
    })
    const body = await res.json().catch(() => ({}))
    return { status: res.status, seconds: round((performance.now() - started) / 1000, 2), error: res.status === 200 ? undefined : body.error?.code ?? body.message }
  })
}

/** pg_dump of the archived directory tables, gzipped, to /dev/null: the yardstick for the backup's throughput. */
function pgDump(dbUrl) {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn('sh', ['-c', 'pg_dump --data-only --table=domains --table=mailboxes --table=aliases "$0" | gzip -1 > /dev/null', dbUrl], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('error', () => resolve({ seconds: null, error: 'pg_dump not found' }))
    child.on('exit', code => resolve(code === 0 ? { seconds: round((performance.now() - started) / 1000, 2) } : { seconds: null, error: err.trim() || `exit ${code}` }))
  })
}

/**
 * The yardstick for a restore: the same three tables' pg_dump (data only, COPY) loaded by psql in one
 * transaction into a fresh database with this schema, its triggers and indexes. The dump is made
 * first and not timed; its empty search_path is left out (the panel's trigger functions name their
 * tables unqualified, as the panel's own connections see them).
 */
async function pgLoad(dbUrl) {
  const scratch = await createDatabase()
  const dump = join(tmpdir(), `${scratch.name}.sql`)
  const sh = script => new Promise((resolve) => {
    const child = spawn('sh', ['-c', script, dbUrl, scratch.url, dump], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('error', () => resolve('pg_dump/psql not found'))
    child.on('exit', code => resolve(code === 0 ? undefined : err.trim().slice(0, 300) || `exit ${code}`))
  })
  try {
    const prepared = await sh(`pg_dump --schema-only "$0" | psql -q -v ON_ERROR_STOP=1 "$1" > /dev/null && pg_dump --data-only --table=domains --table=mailboxes --table=aliases "$0" | sed "/set_config('search_path'/d" > "$2"`)
    if (prepared) return { seconds: null, error: prepared }
    const started = performance.now()
    const loaded = await sh('psql -q -1 -v ON_ERROR_STOP=1 "$1" -f "$2" > /dev/null')
    return loaded ? { seconds: null, error: loaded } : { seconds: round((performance.now() - started) / 1000, 2) }
  }
  finally {
    rmSync(dump, { force: true })
    await dropDatabase(scratch.name).catch(() => {})
  }
}

// ---------------------------------------------------------------- one size

async function measure(size) {
  const db = await createDatabase()
  const root = await makeRoot()
  const sql = postgres(db.url, { max: 2, onnotice: () => {} })
  const archive = join(tmpdir(), `${db.name}.json.gz`)
  let server
  try {
    process.env.POLICYD_LISTEN = '127.0.0.1:0'
    server = await startServer(root, db.url, ENTRY)
    const url = server.url
    await raiseRateLimits(url)
    console.log(`\n${size.toLocaleString('en')} mailboxes: seeding ${db.name}…`)
    const seeded = await seed(sql, size)
    // Domains of 100 mailboxes to delete one by one (beyond the measured directory's last name).
    const doomed = []
    for (let i = 0; i < WRITE_SAMPLES + WARMUP; i++) {
      const [{ id }] = await sql`INSERT INTO domains (name) VALUES (${`zz-delete-${i}.scale.test`}) RETURNING id`
      await sql`INSERT INTO mailboxes (domain_id, username, password) SELECT ${id}, 'user' || g, (SELECT password FROM mailboxes LIMIT 1) FROM generate_series(1, ${PER_DOMAIN}) g`
      doomed.push(id)
    }
    const [{ total }] = await sql`SELECT count(*)::int AS total FROM mailboxes`
    console.log(`  seeded ${seeded.domains.toLocaleString('en')} domains in ${seeded.seconds} s; measuring…`)
    const { domains } = seeded
    const mid = Math.ceil(domains / 2)
    const last = Math.ceil(total / 50)
    const q = term => encodeURIComponent(term)
    const ops = {}

    ops['mailboxes: list page 1'] = await timed(url, () => '/api/v1/mailboxes?page=1&limit=50', b => check(b.data.length === 50 && b.meta.total === total, 'page 1'))
    ops['mailboxes: list last page'] = await timed(url, () => `/api/v1/mailboxes?page=${last}&limit=50`, b => check(b.data.length === total - (last - 1) * 50, 'last page'))
    ops['mailboxes: search many'] = await timed(url, () => `/api/v1/mailboxes?search=user0&limit=50`, b => check(b.data.length === 50 && b.meta.total_capped === (size * 0.99 > 1000), 'search many'))
    ops['mailboxes: search one'] = await timed(url, i => `/api/v1/mailboxes?search=${q(`user042@${domainName(((mid + i) % domains) + 1)}`)}`, b => check(b.meta.total === 1 && b.data[0].username === 'user042', 'search one'))
    ops['mailboxes: search none'] = await timed(url, i => `/api/v1/mailboxes?search=nosuchbox${i}`, b => check(b.meta.total === 0, 'search none'))
    // No trigram in the term: a scan at any size (2.3 s at 1,000,000), so fewer samples.
    ops['mailboxes: search none, 2 chars'] = await timed(url, () => '/api/v1/mailboxes?search=qz', b => check(b.meta.total === 0, 'search none, 2 chars'), WRITE_SAMPLES)
    ops['mailboxes: domain_id filter'] = await timed(url, i => `/api/v1/mailboxes?domain_id=${((mid + i) % domains) + 1}`, b => check(b.meta.total === PER_DOMAIN, 'domain filter'))
    ops['mailboxes: GET one'] = await timed(url, () => `/api/v1/mailboxes/${randomInt(1, size + 1)}`, b => check(typeof b.address === 'string', 'GET one'))
    ops['aliases: search many'] = await timed(url, () => '/api/v1/aliases?search=elsewhere', b => check(b.data.length === 50, 'alias search many'))
    ops['aliases: search one'] = await timed(url, i => `/api/v1/aliases?search=${q(`alias7@${domainName(((mid + i) % domains) + 1)}`)}`, b => check(b.meta.total === 1, 'alias search one'))
    ops['aliases: search none'] = await timed(url, i => `/api/v1/aliases?search=nosuchalias${i}`, b => check(b.meta.total === 0, 'alias search none'))
    ops['domains: search many'] = await timed(url, () => '/api/v1/domains?search=scale', b => check(b.data.length === Math.min(50, domains + doomed.length), 'domain search many'))
    ops['domains: search one'] = await timed(url, i => `/api/v1/domains?search=${q(domainName(((mid + i) % domains) + 1))}`, b => check(b.meta.total === 1, 'domain search one'))
    ops['domains: search none'] = await timed(url, i => `/api/v1/domains?search=nosuchdomain${i}`, b => check(b.meta.total === 0, 'domain search none'))
    ops['domains: GET one'] = await timed(url, () => `/api/v1/domains/${randomInt(1, domains + 1)}`, b => check(b.mailbox_count === PER_DOMAIN, 'domain GET'))
    ops['mailboxes: create'] = await timed(url, i => ({ path: '/api/v1/mailboxes', method: 'POST', body: { domain_id: mid, username: `new${i + WARMUP}`, password: 'scale-password-1' } }), () => {}, WRITE_SAMPLES)
    let d = 0
    ops['domains: delete one with 100 mailboxes'] = await timed(url, () => ({ path: `/api/v1/domains/${doomed[d++]}`, method: 'DELETE' }), () => {}, WRITE_SAMPLES)
    ops['reconcile, no change'] = await timed(url, () => ({ path: '/api/v1/reconcile', method: 'POST' }), b => check(b.ok && !b.changed, `no-change reconcile: ${JSON.stringify(b.errors ?? b)}`), WRITE_SAMPLES)

    const lookups = await daemonLookups(sql, root, domains)
    for (const l of lookups) ops[`${l.name} (SQL)`] = l

    const status = await call(url, '/api/v1/policyd/status')
    const ghost = i => `ghost${i}-${size}@${domainName((i % domains) + 1)}`
    const policy = await policyLoad(status.body.port, POLICY_REQUESTS, 10, i => policyRequest(ghost(i), i, 'RCPT'))
    ops['policy decision, unknown login'] = { p50: policy.p50, p99: policy.p99, n: POLICY_REQUESTS }
    let cached = (await call(url, '/api/v1/policyd/status')).body.cached_senders
    let flood
    if (size === SIZES.at(-1) && POLICY_FLOOD > 0) {
      const before = rssMb(server.child.pid)
      const run = await policyLoad(status.body.port, POLICY_FLOOD, 20, i => policyRequest(`flood${i}-${size}@${domainName((i % domains) + 1)}`, i, 'RCPT'))
      cached = (await call(url, '/api/v1/policyd/status')).body.cached_senders
      flood = { requests: POLICY_FLOOD, rps: run.rps, cachedAfter: cached, rssBeforeMb: before, rssAfterMb: rssMb(server.child.pid) }
      if (CHECK) check(cached <= 100_000, `the limits cache holds ${cached} logins after a flood of ${POLICY_FLOOD}`)
    }

    const dashboard = flag('no-browser') ? undefined : await measureDashboard(url, { user: 'admin', password: ADMIN_PASSWORD, domain: domainName(mid), mailbox: `user042@${domainName(mid)}` })
    if (CHECK && dashboard) check(dashboard.fullLoads.length === 0, `the dashboard loaded whole lists: ${dashboard.fullLoads.join(', ')}`)
    for (const [step, ms] of Object.entries(dashboard?.steps ?? {})) ops[`dashboard (Chromium): ${step}`] = { p50: ms, p99: ms, n: 1 }

    const counts = () => sql`SELECT (SELECT count(*) FROM domains)::int AS domains, (SELECT count(*) FROM mailboxes)::int AS mailboxes, (SELECT count(*) FROM aliases)::int AS aliases`.then(r => r[0])
    const atBackup = await counts()
    const backupRun = await backup(url, server.child.pid, archive)
    const dump = await pgDump(db.url)
    const load = await pgLoad(db.url)
    const restoreRun = backupRun.status === 200 ? await restore(url, server.child.pid, archive) : { status: null, error: 'no archive' }
    if (CHECK) {
      check(backupRun.status === 200, `backup answered ${backupRun.status}`)
      check(restoreRun.status === 200, `restore answered ${restoreRun.status} ${restoreRun.error ?? ''}`)
      const restored = await counts()
      check(JSON.stringify(restored) === JSON.stringify(atBackup), `restored ${JSON.stringify(restored)}, backed up ${JSON.stringify(atBackup)}`)
    }
    return { size, seeded, ops, dashboard, policy: { ...policy, cachedSenders: cached, flood }, backup: backupRun, pgDump: dump, pgLoad: load, restore: restoreRun, rssMb: rssMb(server.child.pid) }
  }
  catch (err) {
    err.serverOutput = server?.output().slice(-4000)
    throw err
  }
  finally {
    await server?.stop().catch(() => {})
    await sql.end({ timeout: 2 }).catch(() => {})
    await dropDatabase(db.name).catch(err => console.error(`dropping ${db.name}: ${err.message}`))
    rmSync(root, { recursive: true, force: true })
    rmSync(archive, { force: true })
  }
}

// ---------------------------------------------------------------- report

const AIMED = name => !name.startsWith('dashboard') && /: (list|search|GET|domain_id)/.test(name)
const DASHBOARD = name => name.startsWith('dashboard')

function report(runs) {
  const names = Object.keys(runs[0].ops)
  const sizes = runs.map(r => r.size.toLocaleString('en'))
  const growth = (name, i) => {
    const a = runs[i - 1].ops[name].p50
    const b = runs[i].ops[name].p50
    const decades = Math.log10(runs[i].size / runs[i - 1].size)
    return `${round((b / Math.max(a, 0.01)) ** (1 / decades), 2)}×`
  }
  const at = runs.find(r => r.size === AIM_SIZE) ?? runs.at(-1)
  const rows = names.map(name => [
    name,
    ...runs.map(r => `${r.ops[name].p50} / ${r.ops[name].p99}`),
    ...runs.slice(1).map((_, i) => growth(name, i + 1)),
    AIMED(name) ? (at.ops[name].p99 < AIM_P99_MS ? 'met' : 'MISSED') : DASHBOARD(name) ? (at.ops[name].p50 < AIM_DASHBOARD_MS ? 'met' : 'MISSED') : name.includes('(SQL)') ? (at.ops[name].indexOnly ? 'index only: met' : 'SEQ SCAN: MISSED') : '',
  ])
  const byteRow = (label, pick) => [label, ...runs.map(pick), ...runs.slice(1).map(() => ''), '']
  rows.push(
    byteRow('backup: seconds / MB / RSS growth MB', r => `${r.backup.seconds ?? '-'} / ${r.backup.mb ?? '-'} / ${r.backup.rssGrowthMb ?? '-'}${r.backup.status === 200 ? '' : ` (HTTP ${r.backup.status})`}`),
    byteRow('pg_dump of the same tables | gzip: seconds', r => r.pgDump.seconds ?? r.pgDump.error),
    byteRow('psql loading that pg_dump (one transaction, same schema): seconds', r => r.pgLoad.seconds ?? r.pgLoad.error),
    byteRow('restore: seconds / RSS growth MB', r => r.restore.status === 200 ? `${r.restore.seconds} / ${r.restore.rssGrowthMb}` : `refused: HTTP ${r.restore.status} ${r.restore.error ?? ''}`),
    byteRow('policy daemon: cached logins (after a flood: RSS MB before → after)', r => r.policy.flood ? `${r.policy.cachedSenders} after ${r.policy.flood.requests.toLocaleString('en')} unknown (${r.policy.flood.rssBeforeMb} → ${r.policy.flood.rssAfterMb})` : r.policy.cachedSenders),
  )
  printTable(['operation (p50 / p99 ms)', ...sizes, ...runs.slice(1).map((r, i) => `per 10× ${sizes[i]}→${sizes[i + 1]}`), `aim at ${at.size.toLocaleString('en')}`], rows)
  const aims = [
    ...names.filter(AIMED).map(n => [`${n} p99 < ${AIM_P99_MS} ms`, at.ops[n].p99 < AIM_P99_MS]),
    ...names.filter(n => n.includes('(SQL)')).map(n => [`${n}: index scans only`, at.ops[n].indexOnly]),
    ...names.filter(DASHBOARD).map(n => [`${n} < ${AIM_DASHBOARD_MS} ms`, at.ops[n].p50 < AIM_DASHBOARD_MS]),
    ...(at.dashboard ? [['the dashboard never loads a whole list', at.dashboard.fullLoads.length === 0]] : []),
    ['backup streams: RSS growth < 200 MB', at.backup.status === 200 && at.backup.rssGrowthMb < AIM_BACKUP_RSS_MB],
    [`backup within ${AIM_PG_DUMP_RATIO}× of pg_dump`, at.backup.status === 200 && at.pgDump.seconds !== null && at.backup.seconds <= AIM_PG_DUMP_RATIO * at.pgDump.seconds],
    ['restore of the panel\'s own backup succeeds', at.restore.status === 200],
    ['restore RSS growth < 200 MB', at.restore.status === 200 && at.restore.rssGrowthMb < AIM_BACKUP_RSS_MB],
    [`restore within ${AIM_PG_DUMP_RATIO}× of psql loading the pg_dump`, at.restore.status === 200 && at.pgLoad.seconds !== null && at.restore.seconds <= AIM_PG_DUMP_RATIO * at.pgLoad.seconds],
  ]
  const missed = aims.filter(([, ok]) => !ok)
  console.log(`Aims at ${at.size.toLocaleString('en')} mailboxes: ${aims.length - missed.length} of ${aims.length} met${missed.length ? `; missed: ${missed.map(([n]) => n).join('; ')}` : ''}`)
  return { aims: Object.fromEntries(aims), missed: missed.length }
}

const host = machine()
printMachine(host)
const startedAt = new Date().toISOString()
const runs = []
let failed = false
for (const size of SIZES) {
  try {
    runs.push(await measure(size))
  }
  catch (err) {
    console.error(`At ${size.toLocaleString('en')} mailboxes: ${err.stack ?? err.message}${err.serverOutput ? `\nThe server's last output:\n${err.serverOutput}` : ''}`)
    failed = true
    break
  }
  await sleep(500)
}
if (runs.length) {
  const { aims } = report(runs)
  const file = writeResults('scale', { startedAt, node: process.version, machine: host, sizes: SIZES, runs, aims })
  if (flag('json')) console.log(JSON.stringify({ runs, aims }))
  console.log(`Results written to ${file}`)
}
process.exit(failed ? 1 : 0)
