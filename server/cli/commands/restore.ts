import { reconciler } from '#server/mailstack/runner'
import { backup } from '#server/services/backup/backup'
import { ApiError } from '#server/utils/errors'
import { templates } from '#cli-assets'
import { auditCli, CliError, errorLine, EXIT, loadPanelConfig, openMigratedDatabase, say, type CliCommand } from '../context'
import { probePanel } from '../probe'
import { archiveFile } from './archive-file'

export const restoreCommand: CliCommand = {
  name: 'restore',
  synopsis: 'restore FILE',
  summary: 'replace all panel data and config.env with a backup archive; - reads stdin',
  details: `Does what POST /api/v1/admin/restore does: the whole archive (gzip or plain JSON) is validated
first (checksum, schema version, every row, and the config.env it would leave, merged with this
machine's own keys); a tampered or foreign archive is refused and nothing changes. Then every
table is replaced in one transaction and the files renamed into place, and the mail configuration
is reconciled. The audit log is never rewritten; the restore itself is recorded in it.
With PostgreSQL the panel may keep running: restart it afterwards so it re-reads config.env.
With the embedded database stop the panel first.`,
  args: ['FILE'],
  async run({ args: [file] }) {
    const { bytes, kind } = await archiveFile.read(file!)
    const config = loadPanelConfig()
    const db = await openMigratedDatabase(config)
    try {
      let restored
      try {
        restored = await backup.restore(await backup.validate(bytes, kind))
      }
      catch (err) {
        await auditCli('restore', file!, err instanceof ApiError ? err.status : 500)
        throw new CliError(`restore refused: ${errorLine(err)}`)
      }
      await auditCli('restore', file!, 200)
      const counts = Object.entries(restored.restored).map(([table, n]) => `${n} ${table}`).join(', ')
      process.stdout.write(`Backup of ${restored.createdAt} restored: ${counts}; files: ${restored.files.join(', ')}\n`)
      reconciler.useTemplates(templates)
      const report = await reconciler.run('cli-restore')
      if (!report.ok) say(`warning: the mail configuration could not be reconciled: ${report.errors.join('; ')}`)
      if (!db.embedded && (await probePanel(config)).up) say('The panel is running: restart it (systemctl restart backendside-mailpanel) so it re-reads config.env.')
      return EXIT.OK
    }
    finally {
      await db.close()
    }
  },
}
