// Middleware-chain overhead: GET /api/v1/mailboxes/:id through the whole chain (rate limit, client
// IP, managed-token authentication, IP allowlist, query check, audit wrapper) versus the same query
// and serializer with the chain left out (/__bench/mailboxes/:id, only in the bench build).
//
// Both run against one server and one database, alternating in rounds so drift in machine load hits
// both alike; the figure is the median of the per-round ratios. Aim: the chain costs under 15 % of req/s.
//
// Run:  npm run bench:middleware   (builds .output-bench/ with MAILPANEL_BENCH_BUILD=1, then runs this)

import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import postgres from 'postgres'
import { API_KEY, benchMain, cannon, createDatabase, machine, makeRoot, printMachine, printTable, PROJECT_DIR, raiseRateLimits, rssMb, seedMailboxes, startServer, writeResults } from './lib.mjs'

const BENCH_ENTRY = join(PROJECT_DIR, '.output-bench/server/index.mjs')
const DOMAINS = 100
const MAILBOXES_PER_DOMAIN = 100
const CONNECTIONS = 50
const ROUND_S = 5
const ROUNDS = 5
const MAX_COST = 0.15

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function mintToken(url) {
  const res = await fetch(`${url}/api/v1/admin/tokens`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  })
  if (res.status !== 201) throw new Error(`token mint failed: ${res.status} ${await res.text()}`)
  return (await res.json()).token
}

async function run(state) {
  const startedAt = new Date().toISOString()
  const host = machine()
  printMachine(host)
  state.db = await createDatabase()
  state.root = await makeRoot()
  state.server = await startServer(state.root, state.db.url, BENCH_ENTRY)
  await raiseRateLimits(state.server.url)
  state.sql = postgres(state.db.url, { max: 1, onnotice: () => {} })
  const { ids } = await seedMailboxes(state.sql, DOMAINS, MAILBOXES_PER_DOMAIN)
  const token = await mintToken(state.server.url)
  const id = () => randomInt(ids.min_mailbox, ids.max_mailbox + 1)

  const modes = [
    { key: 'chain', title: 'with chain (managed token)', setupRequest: req => ({ ...req, path: `/api/v1/mailboxes/${id()}` }), headers: { 'x-api-key': token } },
    { key: 'bare', title: 'chain off (bench route)', setupRequest: req => ({ ...req, path: `/__bench/mailboxes/${id()}` }) },
  ]
  const runs = { chain: [], bare: [] }
  for (const mode of modes) await cannon(state.server.url, mode, { connections: CONNECTIONS, duration: 2 }) // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of modes) {
      const r = await cannon(state.server.url, mode, { connections: CONNECTIONS, duration: ROUND_S })
      if (r.non2xx || r.errors || r.timeouts) throw new Error(`${mode.title}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`)
      runs[mode.key].push({ reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99 })
      console.log(`  round ${round} ${mode.title}: ${Math.round(r.requests.average)} req/s`)
    }
  }

  const summary = Object.fromEntries(modes.map(m => [m.key, {
    reqPerSec: median(runs[m.key].map(r => r.reqPerSec)),
    p50Ms: median(runs[m.key].map(r => r.p50Ms)),
    p99Ms: median(runs[m.key].map(r => r.p99Ms)),
  }]))
  // Paired per round (each chain run beside the bare run right after it), so load drift cancels out.
  const ratio = median(runs.chain.map((r, i) => r.reqPerSec / runs.bare[i].reqPerSec))
  const cost = 1 - ratio
  printTable(['mode', 'req/s (median)', 'p50 ms', 'p99 ms', ''], modes.map(m => [m.title, summary[m.key].reqPerSec, summary[m.key].p50Ms, summary[m.key].p99Ms, '']))
  console.log(`Chain cost: ${(cost * 100).toFixed(1)} % of req/s (median of per-round ratios ${ratio.toFixed(3)}) — ${cost < MAX_COST ? 'PASS' : 'MISS'} (aim < ${MAX_COST * 100} %); server RSS ${rssMb(state.server.child.pid)} MB`)
  const file = writeResults('middleware', { startedAt, node: process.version, machine: host, config: { connections: CONNECTIONS, roundS: ROUND_S, rounds: ROUNDS }, runs, summary, cost })
  console.log(`Results written to ${file}`)
  return true
}

await benchMain(BENCH_ENTRY, run)
