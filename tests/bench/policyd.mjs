// `npm run bench:policyd` (after `npx nuxt build`): the panel's policy daemon against postfwd2 (Debian
// package postfwd) with the equivalent rule, in one run on this machine. Both get the same 50,000
// END-OF-MESSAGE requests (each one message: the counting stage, where our daemon writes to
// PostgreSQL) over 20 persistent connections, one request in flight per connection as a Postfix
// smtpd process sends them, spread round-robin over 1,000 SASL users with a daily limit of 40, so
// each user sends 50 and exactly 10,000 requests must be refused (450) by each daemon.

import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import {
  API_KEY, benchMain, createDatabase, freePort, machine, makeRoot, printMachine, printTable, rssMb, seedMailboxes, SERVER_ENTRY, sleep, startServer, writeResults,
} from './lib.mjs'
import { policyLoad as load, policyRequest } from './policy-client.mjs'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000)
const CONNECTIONS = 20
const DOMAINS = 10
const PER_DOMAIN = 100
const USERS = DOMAINS * PER_DOMAIN
const DAILY_LIMIT = 40
const POSTFWD = ['/usr/sbin/postfwd2', '/usr/sbin/postfwd'].find(existsSync)
const AIM_THROUGHPUT_RATIO = 5
const AIM_P99_RATIO = 1 / 3

// The accounts seedMailboxes creates: user001…user100 in bench-0001…bench-0010.example.test.
const login = i => `user${String((i % PER_DOMAIN) + 1).padStart(3, '0')}@bench-${String(Math.floor(i / PER_DOMAIN) % DOMAINS + 1).padStart(4, '0')}.example.test`

/** Child pids of `pid` (postfwd2 forks a cache daemon and a pre-forked policy server with children). */
function descendants(pid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    }
    catch { /* gone */ }
  }
  const out = []
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

/** postfwd2 as a daemon of its own (pid file and cache socket in a temp dir, no syslog), the rate rule at END-OF-MESSAGE. */
async function startPostfwd(dir, port) {
  const rules = join(dir, 'rules.cf')
  writeFileSync(rules, `id=R1; protocol_state==END-OF-MESSAGE; sasl_username=~/.+/; action=rate(sasl_username/${DAILY_LIMIT}/86400/450 4.7.1 limit)\n`)
  chmodSync(dir, 0o777) // it drops to nobody, which must write its pid file and cache socket here
  const pidFile = join(dir, 'postfwd.pid')
  const args = ['--file', rules, '--interface', '127.0.0.1', '--port', String(port), '--user', 'nobody', '--group', 'nogroup',
    '--pidfile', pidFile, '--cache_proto', 'unix', '--cache_port', join(dir, 'cache.sock'), '--perfmon']
  const child = spawn(POSTFWD, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  await new Promise(resolve => child.once('exit', resolve))
  const deadline = Date.now() + 15_000
  for (;;) {
    const ready = await new Promise((resolve) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ready && existsSync(pidFile)) break
    if (Date.now() > deadline) throw new Error(`postfwd did not start listening on ${port}:\n${stderr.replace(/^Redundant argument.*\n/gm, '')}`)
    await sleep(200)
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  return {
    pid,
    stop: async () => {
      const pids = [pid, ...descendants(pid)]
      for (const p of pids) {
        try {
          process.kill(p, 'SIGTERM')
        }
        catch { /* already gone */ }
      }
      await sleep(500)
    },
  }
}

async function policyPort(url) {
  const res = await fetch(`${url}/api/v1/policyd/status`, { headers: { 'x-api-key': API_KEY } })
  const status = await res.json()
  if (!status.listening) throw new Error(`the panel's policy daemon is not listening: ${JSON.stringify(status)}`)
  return status.port
}

await benchMain(SERVER_ENTRY, async (state) => {
  if (!POSTFWD) throw new Error('postfwd2 is not installed (apt-get install postfwd)')
  const m = machine()
  printMachine(m)
  const messagesPerUser = REQUESTS / USERS
  const expectedRejects = USERS * Math.max(0, messagesPerUser - DAILY_LIMIT)
  console.log(`${REQUESTS} END-OF-MESSAGE requests, ${CONNECTIONS} connections, ${USERS} users × ${messagesPerUser} messages, daily limit ${DAILY_LIMIT} → ${expectedRejects} rejects expected`)

  state.db = await createDatabase()
  state.root = await makeRoot()
  state.sql = postgres(state.db.url, { max: 2, onnotice: () => {} })
  // A free port for the panel's daemon (lib's startServer passes our environment on).
  process.env.POLICYD_LISTEN = '127.0.0.1:0'
  state.server = await startServer(state.root, state.db.url)
  const seeded = await seedMailboxes(state.sql, DOMAINS, PER_DOMAIN)
  console.log(`Seeded ${seeded.ids.mailboxes} mailboxes in ${seeded.ms} ms`)
  const put = await fetch(`${state.server.url}/api/v1/config/server`, {
    method: 'PUT', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ daily_send_limit: DAILY_LIMIT }),
  })
  if (!put.ok) throw new Error(`could not set the daily limit: ${put.status} ${await put.text()}`)
  const panelPort = await policyPort(state.server.url)

  const postfwdDir = mkdtempSync(join(tmpdir(), 'postfwd-bench-'))
  const postfwdPort = await freePort()
  const postfwd = await startPostfwd(postfwdDir, postfwdPort)
  try {
    // Warm-up: one RCPT per user (nothing is counted at RCPT by either daemon); fills the panel's limits cache.
    for (const port of [panelPort, postfwdPort]) await load(port, USERS, CONNECTIONS, i => policyRequest(login(i % USERS), i, 'RCPT'))

    const panel = await load(panelPort, REQUESTS, CONNECTIONS, i => policyRequest(login(i % USERS), i))
    const panelRss = rssMb(state.server.child.pid)
    const fwd = await load(postfwdPort, REQUESTS, CONNECTIONS, i => policyRequest(login(i % USERS), i))
    const [{ total }] = await state.sql`SELECT coalesce(sum(count), 0)::int AS total FROM policyd_counters`

    const rejects = r => REQUESTS - (r.actions.DUNNO ?? 0)
    printTable(['daemon', 'req/s', 'p50 ms', 'p99 ms', 'rejects', 'expected'], [
      ['panel policy daemon (Node + PostgreSQL)', panel.rps, panel.p50, panel.p99, rejects(panel), expectedRejects],
      [`postfwd2 (${POSTFWD})`, fwd.rps, fwd.p50, fwd.p99, rejects(fwd), expectedRejects],
    ])
    const throughputRatio = Math.round((panel.rps / fwd.rps) * 100) / 100
    const p99Ratio = Math.round((panel.p99 / fwd.p99) * 1000) / 1000
    const throughputMet = throughputRatio >= AIM_THROUGHPUT_RATIO
    const p99Met = p99Ratio <= AIM_P99_RATIO
    const exact = rejects(panel) === expectedRejects && rejects(fwd) === expectedRejects && total === USERS * DAILY_LIMIT
    console.log(`Throughput ratio (panel / postfwd): ${throughputRatio}× (aim ≥ ${AIM_THROUGHPUT_RATIO}×: ${throughputMet ? 'met' : 'MISSED'})`)
    console.log(`p99 ratio (panel / postfwd): ${p99Ratio} (aim ≤ ${AIM_P99_RATIO.toFixed(3)}: ${p99Met ? 'met' : 'MISSED'})`)
    console.log(`Rejects exact on both and counters sum to ${total} (expected ${USERS * DAILY_LIMIT}): ${exact ? 'yes' : 'NO'}; panel RSS ${panelRss} MB`)
    const file = writeResults('policyd', {
      startedAt: new Date().toISOString(), machine: m, requests: REQUESTS, connections: CONNECTIONS, users: USERS, dailyLimit: DAILY_LIMIT,
      expectedRejects, panel, postfwd: fwd, throughputRatio, p99Ratio, counterTotal: total, panelRssMb: panelRss,
    })
    console.log(`Results: ${file}`)
    return exact
  }
  finally {
    await postfwd.stop()
    rmSync(postfwdDir, { recursive: true, force: true })
  }
})
