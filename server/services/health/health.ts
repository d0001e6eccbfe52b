import { existsSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { dirname } from 'node:path'
import { activityDb } from '#server/db/queries/activity'
import { mailstackDb } from '#server/db/queries/mailstack'
import { databaseInfo } from '#server/db/use'
import { componentByName } from '#server/mailstack/components'
import { reconciler } from '#server/mailstack/runner'
import { policyd } from '#server/policyd/daemon'
import { useConfig } from '#server/utils/config'
import { withDeadline } from '#server/utils/deadline'
import type { MailComponentName } from '#shared/types/mailstack'

/**
 * The deep probe behind GET /health. Bounds: every check runs in parallel under CHECK_TIMEOUT_MS (a
 * check that does not answer is `down`), and the whole report is shared by the callers of one
 * REPORT_TTL_MS, so a public endpoint cannot be used to fork `postfix status` at request rate.
 * Nothing in it is secret: no paths, no error texts from the database, only states and figures.
 *
 * Critical (overall `down`, HTTP 503): the database; Postfix and Dovecot when the stack is managed
 * (a TCP DATABASE_URL) and the daemon is installed, once this process has seen it running or has
 * been up STARTUP_GRACE_MS (the panel may start before the daemons: at boot, or in a test that
 * starts them after the panel wrote their files). Anything else that is down or stale makes the
 * report `degraded` (HTTP 200). Not installed, not managed, or turned off is `skipped`.
 */

const CHECK_TIMEOUT_MS = 3_000
const REPORT_TTL_MS = 1_000
const STARTUP_GRACE_MS = 120_000
const MIN_FREE_BYTES = 512 * 1024 * 1024
const MIB = 1024 * 1024
// The schedule runs every 5 minutes (nuxt.config.ts): three missed runs are worth a look.
const RECONCILE_STALE_MS = 15 * 60 * 1000
// Helpers with a daemon of their own (policyd-spf has none: Postfix spawns it per connection).
const DAEMONS: MailComponentName[] = ['postfix', 'dovecot', 'opendkim', 'opendkim-ed25519', 'opendmarc', 'postgrey', 'clamsmtp', 'spampd']
const CORE = new Set<MailComponentName>(['postfix', 'dovecot'])

export type CheckStatus = 'ok' | 'warn' | 'down' | 'skipped'

export interface HealthCheck {
  status: CheckStatus
  /** false only when `down` (kept for clients of the first /health). */
  ok: boolean
  /** A critical check that is down makes the whole report `down` (503). */
  critical: boolean
  latency_ms: number
  detail: string
  age_s?: number
  free_mb?: number
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down'
  checks: Record<string, HealthCheck>
}

type Outcome = Omit<HealthCheck, 'ok' | 'latency_ms' | 'critical'> & { critical?: boolean }

const startedAt = performance.now()
const seenRunning = new Set<MailComponentName>()
let last: { at: number, report: HealthReport } | undefined
let inFlight: Promise<HealthReport> | undefined

/** Runs one check under the deadline and times it; a check that throws or times out is `down`. */
async function timed(critical: boolean, work: () => Promise<Outcome>): Promise<HealthCheck> {
  const started = performance.now()
  let outcome: Outcome
  try {
    outcome = await withDeadline(work(), CHECK_TIMEOUT_MS)
  }
  catch {
    outcome = { status: 'down', detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }
  }
  return { ...outcome, ok: outcome.status !== 'down', critical: outcome.critical ?? critical, latency_ms: Math.round(performance.now() - started) }
}

async function database(): Promise<Outcome> {
  const info = databaseInfo()
  if (!info.ready) return { status: 'down', detail: 'not connected' }
  try {
    await activityDb.ping()
    return { status: 'ok', detail: info.embedded ? 'embedded' : 'postgresql' }
  }
  catch {
    return { status: 'down', detail: 'query failed' }
  }
}

/** Free space where `path` lives (its nearest existing folder: the mail store may not exist yet). */
async function disk(path: string): Promise<Outcome> {
  let at = path
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at)
  const fs = await statfs(at)
  const free = fs.bavail * fs.bsize
  const freeMb = Math.round(free / MIB)
  const percent = fs.blocks ? Math.round((fs.bavail / fs.blocks) * 100) : 0
  return { status: free >= MIN_FREE_BYTES ? 'ok' : 'down', detail: `${freeMb} MiB free (${percent} %)`, free_mb: freeMb }
}

async function policyDaemon(): Promise<Outcome> {
  const address = policyd.boundAddress()
  return address ? { status: 'ok', detail: `listening on port ${address.port}` } : { status: 'down', detail: 'not listening' }
}

async function lastReconcile(): Promise<Outcome> {
  const { last } = await mailstackDb.lastRuns()
  if (!last) return { status: 'warn', detail: 'no run recorded yet' }
  const age = Date.now() - new Date(last.finished_at).getTime()
  const ageS = Math.round(age / 1000)
  if (!last.ok) return { status: 'down', detail: `the last run (${last.trigger}) failed with ${last.errors.length} error(s): see GET /api/v1/reconcile/status`, age_s: ageS }
  if (age > RECONCILE_STALE_MS) return { status: 'warn', detail: `the last run is ${Math.round(ageS / 60)} min old`, age_s: ageS }
  return { status: 'ok', detail: `ok (${last.trigger})`, age_s: ageS }
}

/** Is the daemon up, if the stack is managed and the daemon installed and wanted? */
async function daemon(name: MailComponentName, live: Awaited<ReturnType<typeof reconciler.liveContext>>): Promise<Outcome> {
  if ('unmanaged' in live) return { status: 'skipped', detail: 'the mail stack is not managed by this panel' }
  const component = componentByName(name)!
  if (!live.capabilities[name].installed) return { status: 'skipped', detail: `not installed (no ${component.binary})` }
  if (!live.ctx.active[name]) return { status: 'skipped', detail: 'not in use (turned off, or nothing for it to do)' }
  if (await component.tools.running(live.ctx)) {
    seenRunning.add(name)
    return { status: 'ok', detail: 'running' }
  }
  const armed = seenRunning.has(name) || performance.now() - startedAt > STARTUP_GRACE_MS
  return {
    status: 'down',
    detail: armed ? 'not running' : 'not running (not yet seen running since the panel started)',
    critical: CORE.has(name) && armed,
  }
}

async function build(): Promise<HealthReport> {
  const { paths } = useConfig()
  // One context for every daemon check (five small queries); without a database nothing is managed.
  const live = databaseInfo().ready
    ? withDeadline(reconciler.liveContext(), CHECK_TIMEOUT_MS)
    : Promise.resolve({ unmanaged: 'the database is not connected' })
  live.catch(() => {})
  const daemonChecks = DAEMONS.map(async name => [name, await timed(CORE.has(name), async () => daemon(name, await live))] as const)
  const [db, mailStore, dataFolder, policy, reconcile, ...daemons] = await Promise.all([
    timed(true, database),
    timed(false, () => disk(paths.mailStore)),
    timed(false, () => disk(dirname(paths.embeddedDbDir))),
    timed(false, policyDaemon),
    timed(false, () => databaseInfo().ready ? lastReconcile() : Promise.resolve<Outcome>({ status: 'skipped', detail: 'the database is not connected' })),
    ...daemonChecks,
  ])
  const checks: Record<string, HealthCheck> = {
    database: db,
    disk_mail_store: mailStore,
    disk_data: dataFolder,
    policy_daemon: policy,
    reconcile,
    ...Object.fromEntries(daemons),
  }
  const all = Object.values(checks)
  const status = all.some(c => c.critical && c.status === 'down') ? 'down' : all.some(c => c.status === 'down' || c.status === 'warn') ? 'degraded' : 'ok'
  return { status, checks }
}

export const health = {
  /** The report; callers within REPORT_TTL_MS of the last one (or while one is being built) share it. */
  report(): Promise<HealthReport> {
    if (last && performance.now() - last.at < REPORT_TTL_MS) return Promise.resolve(last.report)
    inFlight ??= build().then((report) => {
      last = { at: performance.now(), report }
      return report
    }).finally(() => {
      inFlight = undefined
    })
    return inFlight
  },
}
