// `npm run bench:maillog [-- FILE] [--json] [--flat]`: the panel's mail-log parser
// (server/services/maillog) against pflogsumm (Debian package pflogsumm, installed here if missing)
// on the same file, in one run. Without FILE it generates 200,000 lines with
// ../shared/mailstack/gen-maillog.py. Prints lines/s of both, the ratio, our peak RSS and the five
// totals side by side; exits 1 if any total differs. The memory check (a 2,000,000-line file must
// not need more RSS than a 200,000-line one) runs without FILE, or with --flat.
//
// Fairness: the parser is bundled to plain JavaScript with esbuild before anything is timed (as
// Nitro bundles it for production), and each tool runs as its own process reading the file from
// disk. "lines/s" is lines / wall time of that whole process, start-up included; the table also
// shows it net of start-up (each tool's wall time on an empty file subtracted). Best of RUNS each.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { machine, PROJECT_DIR, printTable, writeResults } from './lib.mjs'

const GENERATOR = join(PROJECT_DIR, '../shared/mailstack/gen-maillog.py')
const CHILD = join(PROJECT_DIR, 'tests/bench/maillog-child.mjs')
const PFLOGSUMM = '/usr/sbin/pflogsumm'
const LINES = 200_000
const FLAT_LINES = 2_000_000
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const AIM_RATIO = 10
// Peak RSS moves by a few MB between identical runs (when V8 happens to collect); more than this is growth.
const FLAT_TOLERANCE = 0.1
const TOTALS = ['received', 'delivered', 'deferred', 'bounced', 'rejected']
const KB = 1024

const args = process.argv.slice(2)
const json = args.includes('--json')
const file = args.find(a => !a.startsWith('--'))
const flat = args.includes('--flat') || (!file && !json)
const say = json ? () => {} : (...a) => console.log(...a)
const table = json ? () => {} : printTable

function ensurePflogsumm() {
  if (existsSync(PFLOGSUMM)) return
  if (process.getuid?.() !== 0) throw new Error('pflogsumm is not installed and this is not root: apt-get install pflogsumm')
  say('Installing pflogsumm (apt-get)…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pflogsumm'], { env, stdio: json ? 'ignore' : 'inherit' })
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: json ? 'ignore' : 'inherit' })
    if (install().status !== 0 || !existsSync(PFLOGSUMM)) throw new Error('apt-get install pflogsumm failed')
  }
}

function generate(lines, path) {
  const started = performance.now()
  const run = spawnSync('python3', [GENERATOR, String(lines), path], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`gen-maillog.py failed: ${run.stderr}`)
  say(`Generated ${lines} lines (${Math.round(statSync(path).size / KB / KB)} MB) in ${Math.round(performance.now() - started)} ms: ${path}`)
}

/** Runs a command to its end; resolves with its stdout and wall time. */
function timed(command, argv) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out = []
    let err = ''
    child.stdout.on('data', d => out.push(d))
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code !== 0) reject(new Error(`${command} exited with ${code}: ${err.slice(0, 2000)}`))
      else resolve({ ms, stdout: Buffer.concat(out).toString('utf8') })
    })
  })
}

const runOurs = async (bundle, path) => {
  const { ms, stdout } = await timed(process.execPath, [CHILD, bundle, path])
  const counted = JSON.parse(stdout)
  return { ...counted, parseMs: counted.ms, ms }
}

/** pflogsumm's "Grand Totals": `  27624   received`; past 512k it prints 600k (units of 1024), so keep the unit. */
function pflogsummTotals(report) {
  const totals = {}
  for (const key of TOTALS) {
    const m = new RegExp(`^\\s*(\\d+)([km ])\\s+${key}\\b`, 'm').exec(report)
    if (!m) throw new Error(`no "${key}" line in pflogsumm's report`)
    totals[key] = { value: Number(m[1]), unit: m[2].trim() }
  }
  return totals
}

/** Our count as pflogsumm would print it (adj_int_units), so large totals compare too. */
function asPflogsummPrints(n) {
  if (n > 512 * KB * KB) return { value: Math.floor(n / (KB * KB)), unit: 'm' }
  if (n > 512 * KB) return { value: Math.floor(n / KB), unit: 'k' }
  return { value: n, unit: '' }
}
const show = t => `${t.value}${t.unit}`

const best = runs => runs.reduce((a, b) => (b.ms < a.ms ? b : a))
const perSecond = (lines, ms) => Math.round(lines / (ms / 1000))
const mb = kb => Math.round(kb / 102.4) / 10

async function main() {
  ensurePflogsumm()
  const dir = mkdtempSync(join(tmpdir(), 'maillog-bench-'))
  try {
    const bundle = join(dir, 'maillog.mjs')
    await build({ entryPoints: [join(PROJECT_DIR, 'server/services/maillog/maillog.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'warning' })
    const path = file ?? join(dir, 'maillog-200k.log')
    if (!file) generate(LINES, path)
    const empty = join(dir, 'empty.log')
    writeFileSync(empty, '')

    const m = machine()
    say(`Machine: ${m.cpus} CPUs (${m.cpuModel}), load average ${m.loadavg1m}; best of ${RUNS} runs each, one process per run`)
    const ours = []
    const pf = []
    const oursIdle = []
    const pfIdle = []
    for (let i = 0; i < RUNS; i++) {
      ours.push(await runOurs(bundle, path))
      pf.push(await timed(PFLOGSUMM, [path]))
      oursIdle.push(await runOurs(bundle, empty))
      pfIdle.push(await timed(PFLOGSUMM, [empty]))
    }
    const o = best(ours)
    const p = best(pf)
    const lines = o.lines
    const theirs = pflogsummTotals(p.stdout)
    const rssKb = Math.max(...ours.map(r => r.maxRssKb))
    const net = (run, idle) => Math.max(1, run.ms - best(idle).ms)
    const oursRate = perSecond(lines, o.ms)
    const pfRate = perSecond(lines, p.ms)
    const ratio = Math.round((oursRate / pfRate) * 10) / 10
    const netRatio = Math.round((net(p, pfIdle) / net(o, oursIdle)) * 10) / 10
    const equal = TOTALS.every(k => show(asPflogsummPrints(o.totals[k])) === show(theirs[k]))

    say(`\n${lines} lines, ${Math.round(statSync(path).size / KB / KB)} MB`)
    table(['', 'wall ms', 'lines/s', 'lines/s net of start-up', 'peak RSS MB', 'note'], [
      ['ours (Node, bundled)', Math.round(o.ms), oursRate, perSecond(lines, net(o, oursIdle)), mb(rssKb), `start-up ${Math.round(best(oursIdle).ms)} ms; parse alone ${Math.round(o.parseMs)} ms`],
      [`pflogsumm (${PFLOGSUMM})`, Math.round(p.ms), pfRate, perSecond(lines, net(p, pfIdle)), '', `start-up ${Math.round(best(pfIdle).ms)} ms`],
    ])
    table(['total', 'ours', 'pflogsumm', 'equal'], TOTALS.map(k => [k, o.totals[k], show(theirs[k]), show(asPflogsummPrints(o.totals[k])) === show(theirs[k]) ? 'yes' : 'NO']))
    say(`Also ours: sent ${o.totals.sent} (authenticated), inbound ${o.totals.inbound}, local ${o.totals.local}, deferrals ${o.totals.deferrals}, `
      + `rejects ${JSON.stringify(o.totals.rejects)}, ${o.minutes} minute buckets, ${o.mailboxes} sending mailboxes; ${o.skipped} lines not Postfix's`)
    say(`Ratio (ours / pflogsumm lines/s): ${ratio}× whole process, ${netRatio}× net of start-up (aim ≥ ${AIM_RATIO}×: ${ratio >= AIM_RATIO ? 'met' : 'MISSED'})`)
    say(`Totals equal: ${equal ? 'yes' : 'NO'}`)

    let flatResult
    if (flat) {
      const big = join(dir, 'maillog-2m.log')
      const small = file ? join(dir, 'maillog-200k.log') : path
      if (file) generate(LINES, small)
      generate(FLAT_LINES, big)
      const smallRuns = []
      const bigRuns = []
      for (let i = 0; i < RUNS; i++) {
        smallRuns.push(await runOurs(bundle, small))
        bigRuns.push(await runOurs(bundle, big))
      }
      // The least each needed, so one run's late collection does not decide it.
      const rss200k = mb(Math.min(...smallRuns.map(r => r.maxRssKb)))
      const rss2m = mb(Math.min(...bigRuns.map(r => r.maxRssKb)))
      const ok = rss2m <= rss200k * (1 + FLAT_TOLERANCE)
      flatResult = { rss_mb_200k: rss200k, rss_mb_2m: rss2m, lines_per_s_2m: perSecond(bigRuns[0].lines, best(bigRuns).ms), flat: ok }
      rmSync(big, { force: true })
      say(`Memory: ${FLAT_LINES} lines ${rss2m} MB peak RSS vs ${LINES} lines ${rss200k} MB (least of ${RUNS}; `
        + `allowed ${Math.round(FLAT_TOLERANCE * 100)}% for collector timing): ${ok ? 'flat' : 'GROWS'}; ${flatResult.lines_per_s_2m} lines/s on the large file`)
    }

    const result = {
      lines,
      ours: { lines_per_s: oursRate, rss_mb: mb(rssKb), ...Object.fromEntries(TOTALS.map(k => [k, o.totals[k]])) },
      pflogsumm: { lines_per_s: pfRate, ...Object.fromEntries(TOTALS.map(k => [k, theirs[k].unit ? show(theirs[k]) : theirs[k].value])) },
      ...(flatResult && json ? { flat: flatResult } : {}),
    }
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`)
    }
    else {
      const saved = writeResults('maillog', {
        startedAt: new Date().toISOString(), machine: m, file: file ?? `gen-maillog.py ${LINES}`, runs: RUNS, ...result,
        ratio, netRatio, startup_ms: { ours: best(oursIdle).ms, pflogsumm: best(pfIdle).ms }, totals: o.totals, flat: flatResult, equal,
      })
      say(`Results: ${saved}`)
    }
    return equal && (!flatResult || flatResult.flat)
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().then(ok => process.exit(ok ? 0 : 1), (err) => {
  console.error(`Bench failed: ${err.stack ?? err.message}`)
  process.exit(1)
})
