import type { FileResult, ReconcileReport } from '#shared/types/mailstack'

/** The files a run changed (or a plan would change): every result but `unchanged` and `skipped`. */
export const changedFiles = (report: ReconcileReport): FileResult[] => report.files.filter(f => f.result !== 'unchanged' && f.result !== 'skipped')

/** The one line a run ends with (POST /api/v1/reconcile's `message`, the command line's last line). */
export function reconcileSummary(report: ReconcileReport): string {
  const kind = report.dry_run ? 'Plan' : 'Reconcile'
  if (!report.ok) return `${kind} failed: ${report.errors.join('; ')}`
  const count = changedFiles(report).length
  return `${kind}: ${count ? `${count} file(s) ${report.dry_run ? 'would change' : 'changed'}` : 'nothing to change'}`
}
