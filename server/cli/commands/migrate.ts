import { migrations } from '#cli-assets'
import { migrate } from '#server/db/migrate'
import { auditCli, EXIT, loadPanelConfig, openPanelDatabase, type CliCommand } from '../context'

export const migrateCommand: CliCommand = {
  name: 'migrate',
  synopsis: 'migrate',
  summary: 'apply the pending database schema migrations (safe to repeat)',
  details: `Applies the migrations this build has and the database lacks, in one transaction under an
advisory lock, as the panel does when it starts; a second run finds nothing to do. Refuses a
database that has migrations this build does not know (a downgrade). With the embedded database
(no DATABASE_URL) stop the panel first: only one process may open it.`,
  async run() {
    const db = await openPanelDatabase(loadPanelConfig())
    try {
      const applied = await migrate(db.sql, migrations)
      if (!applied.length) {
        process.stdout.write(`The schema is up to date (${migrations.at(-1)!.version}).\n`)
        return EXIT.OK
      }
      await auditCli('migrate', applied.join(','), 200)
      process.stdout.write(`Applied ${applied.length} migration(s): ${applied.join(', ')}\n`)
      return EXIT.OK
    }
    finally {
      await db.close()
    }
  },
}
