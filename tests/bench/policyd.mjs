// `npm run bench:policyd` (after `npx nuxt build`): the panel's policy daemon against postfwd2 (Debian
// package postfwd) with the equivalent rule, in one run on this machine. Both get the same 50,000
// END-OF-MESSAGE requests (each one message: the counting stage, where our daemon writes to
// PostgreSQL) over 20 persistent connections, one request in flight per connection as a Postfix
// smtpd process sends them, spread round-robin over 1,000 SASL users with a daily limit of 40, so
// each user sends 50 and exactly 10,000 requests must be refused (450) by each daemon.

import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import {
  API_KEY, benchMain, createDatabase, freePort, machine, makeRoot, printMachine, printTable, rssMb, seedMailboxes, SERVER_ENTRY, sleep, startServer, writeResults,
} from './lib.mjs'

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

/** What Postfix 3.7 sends at END-OF-MESSAGE on the submission port (31 attributes). */
function request(i, state = 'END-OF-MESSAGE') {
  const user = login(i % USERS)
  return `request=smtpd_access_policy\nprotocol_state=${state}\nprotocol_name=ESMTP\nclient_address=192.0.2.${(i % 250) + 1}\n`
    + `client_name=host${i % 250}.example.net\nclient_port=${40000 + (i % 20000)}\nreverse_client_name=host${i % 250}.example.net\n`
    + `server_address=127.0.0.1\nserver_port=587\nhelo_name=laptop\nsender=${user}\nrecipient=r${i}@dest.example.org\n`
    + `recipient_count=${state === 'RCPT' ? 0 : 1}\nqueue_id=${state === 'RCPT' ? '' : `4F${i.toString(16).toUpperCase()}`}\ninstance=${i.toString(16)}.6565c0de.0\n`
    + `size=${state === 'RCPT' ? 0 : 4096}\netrn_domain=\nstress=\nsasl_method=PLAIN\nsasl_username=${user}\nsasl_sender=\n`
    + `ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\nencryption_protocol=TLSv1.3\n`
    + `encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\npolicy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n`
}

/** `count` requests (`make(i)`) over `connections` sockets, one outstanding per socket; latency per request. */
async function load(port, count, connections, make) {
  let issued = 0
  const latencies = new Float64Array(count)
  const actions = new Map()
  const one = () => new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.setNoDelay(true)
    socket.setEncoding('utf8')
    let buffer = ''
    let current = -1
    let started = 0
    const next = () => {
      if (issued >= count) {
        socket.end()
        return resolve()
      }
      current = issued++
      started = performance.now()
      socket.write(make(current))
    }
    socket.on('connect', next)
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      buffer += chunk
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        latencies[current] = performance.now() - started
        const action = /^action=(\S+)/.exec(buffer.slice(0, end))?.[1] ?? '?'
        actions.set(action, (actions.get(action) ?? 0) + 1)
        buffer = buffer.slice(end + 2)
        next()
      }
    })
  })
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, one))
  const seconds = (performance.now() - started) / 1000
  const sorted = Array.from(latencies).sort((a, b) => a - b)
  const pct = p => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 1000) / 1000
  return { rps: Math.round(count / seconds), seconds: Math.round(seconds * 100) / 100, p50: pct(0.5), p99: pct(0.99), actions: Object.fromEntries(actions) }
}

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
    for (const port of [panelPort, postfwdPort]) await load(port, USERS, CONNECTIONS, i => request(i, 'RCPT'))

    const panel = await load(panelPort, REQUESTS, CONNECTIONS, i => request(i))
    const panelRss = rssMb(state.server.child.pid)
    const fwd = await load(postfwdPort, REQUESTS, CONNECTIONS, i => request(i))
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
