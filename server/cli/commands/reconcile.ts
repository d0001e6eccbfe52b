import { templates } from '#cli-assets'
import { reconciler } from '#server/mailstack/runner'
import { changedFiles, reconcileSummary } from '#server/mailstack/summary'
import { auditCli, EXIT, loadPanelConfig, openMigratedDatabase, type CliCommand } from '../context'

export const reconcileCommand: CliCommand = {
  name: 'reconcile',
  synopsis: 'reconcile [--dry-run]',
  summary: 'render, validate and install the Postfix/Dovecot configuration now',
  details: `Runs the reconciler once, as POST /api/v1/reconcile does: renders every managed file from
the database and templates, checks it with the daemons' own checkers, installs what changed and
reloads. One run at a time across processes (an advisory lock), so it is safe beside the running
panel on PostgreSQL. --dry-run is the plan: it validates and prints a unified diff (secrets
redacted) but writes no file, reloads nothing and records no run. Exits 1 when the run failed.`,
  options: { 'dry-run': { type: 'boolean' } },
  async run({ values }) {
    const dryRun = values['dry-run'] === true
    const db = await openMigratedDatabase(loadPanelConfig())
    try {
      reconciler.useTemplates(templates)
      const report = await reconciler.run(dryRun ? 'cli-dry-run' : 'cli', { dryRun })
      await auditCli(dryRun ? 'reconcile --dry-run' : 'reconcile', '', report.ok ? 200 : 500)
      const out: string[] = changedFiles(report).map(f => `  ${f.result.padEnd(12)} ${f.path}${f.error ? `: ${f.error}` : ''}`)
      out.push(...report.reloads.map(r => `  ${r.result.padEnd(12)} ${r.daemon}${r.error ? `: ${r.error}` : ''}`))
      out.push(...report.notes.map(n => `  note: ${n}`))
      if (report.diff) out.push(report.diff.trimEnd())
      out.push(reconcileSummary(report))
      process.stdout.write(`${out.join('\n')}\n`)
      return report.ok ? EXIT.OK : EXIT.FAILURE
    }
    finally {
      await db.close()
    }
  },
}
