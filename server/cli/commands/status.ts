import { existsSync } from 'node:fs'
import { migrations } from '#cli-assets'
import { mailstackDb } from '#server/db/queries/mailstack'
import type { PanelConfig } from '#server/utils/config'
import type { ReconcileRun } from '#shared/types/mailstack'
import { CliError, errorLine, EXIT, loadPanelConfig, openPanelDatabase, pendingMigrations, type CliCommand } from '../context'
import { probePanel, type PanelProbe } from '../probe'

const MS_PER_MIN = 60_000

interface Line {
  label: string
  text: string
  ok: boolean
}

const ago = (at: Date | string) => `${Math.round((Date.now() - new Date(at).getTime()) / MS_PER_MIN)} min ago`
const describeRun = (run: ReconcileRun | undefined) => run
  ? `${new Date(run.finished_at).toISOString()} (${ago(run.finished_at)}, ${run.trigger}, ${run.ok ? (run.changed ? 'changed files' : 'no change') : `failed: ${run.errors.join('; ')}`})`
  : 'no run recorded yet'

/** Database, schema and last run read directly; the panel's own /health when it holds the embedded database. */
async function databaseLines(config: PanelConfig, probe: PanelProbe): Promise<Line[]> {
  const { databaseUrl, paths: { embeddedDbDir } } = config
  if (!databaseUrl && !existsSync(embeddedDbDir)) return [{ label: 'database', text: `embedded, not created yet (the panel creates ${embeddedDbDir} at its first start)`, ok: false }]
  let db
  try {
    db = await openPanelDatabase(config)
  }
  catch (err) {
    const health = probe.report?.checks
    if (!databaseUrl && probe.up && health) {
      return [
        { label: 'database', text: `embedded, open in the running panel (its check: ${health.database?.status ?? 'unknown'})`, ok: health.database?.status === 'ok' },
        { label: 'schema', text: 'migrated by the running panel at its start', ok: true },
        { label: 'reconcile', text: `${health.reconcile?.detail ?? 'unknown'}${health.reconcile?.age_s === undefined ? '' : ` (${Math.round(health.reconcile.age_s / 60)} min ago)`}`, ok: true },
      ]
    }
    return [{ label: 'database', text: errorLine(err).replace(/^the database is /, ''), ok: false }]
  }
  try {
    const pending = await pendingMigrations()
    const applied = migrations.length - pending.length
    const { last } = pending.length ? {} : await mailstackDb.lastRuns()
    return [
      { label: 'database', text: `reachable (${db.embedded ? 'embedded PGlite' : 'PostgreSQL'})`, ok: true },
      pending.length
        ? { label: 'schema', text: `${applied ? migrations[applied - 1]!.version : 'empty'}, ${pending.length} migration(s) pending: run \`backendside-mailpanel migrate\``, ok: false }
        : { label: 'schema', text: `${migrations.at(-1)!.version} (up to date)`, ok: true },
      { label: 'reconcile', text: pending.length ? 'unknown until the schema is migrated' : describeRun(last), ok: true },
    ]
  }
  catch (err) {
    if (err instanceof CliError) return [{ label: 'schema', text: err.message, ok: false }]
    throw err
  }
  finally {
    await db.close()
  }
}

export const statusCommand: CliCommand = {
  name: 'status',
  synopsis: 'status',
  summary: 'is the panel up, the database reachable, the schema current; the last reconcile',
  details: `Asks the panel on its configured address (HOST/PORT of config.env, HTTPS=on) for GET /health,
opens the database (DATABASE_URL, or the embedded one when the panel is not holding it) and reads
the schema version and the last reconcile run. Exits 0 when the panel answers and is not down,
the database is reachable and no migration is pending; 1 otherwise.`,
  async run() {
    const config = loadPanelConfig()
    const probe = await probePanel(config)
    const lines: Line[] = [probe.up
      ? { label: 'panel', text: `up at ${probe.url} (health: ${probe.report?.status ?? 'unknown'})`, ok: probe.report?.status !== 'down' }
      : { label: 'panel', text: `down: ${probe.url}: ${probe.error}`, ok: false }]
    lines.push(...await databaseLines(config, probe))
    process.stdout.write(lines.map(l => `${l.label.padEnd(10)} ${l.text}\n`).join(''))
    return lines.every(l => l.ok) ? EXIT.OK : EXIT.FAILURE
  },
}
