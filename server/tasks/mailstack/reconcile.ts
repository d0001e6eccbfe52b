import { reconciler } from '#server/mailstack/runner'
import { databaseInfo } from '#server/db/use'

/**
 * The scheduled reconcile (nuxt.config scheduledTasks): puts back a file someone edited by hand,
 * and notices a daemon installed since the last run. A no-change run reads and compares only.
 */
export default defineTask({
  meta: { name: 'mailstack:reconcile', description: 'Render, validate and install the Postfix and Dovecot configuration' },
  async run() {
    if (!databaseInfo().ready) return { result: 'skipped: the database is not ready' }
    const report = await reconciler.run('schedule')
    return { result: report.ok ? (report.changed ? 'changed' : 'unchanged') : `failed: ${report.errors.join('; ')}` }
  },
})
