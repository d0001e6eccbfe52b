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
  details: `Does what POST /api/v1/admin/restore does, streamed: every line of the archive (gzip or plain)
is validated as it is read (schema version, every row, the config.env it would leave, merged with
this machine's own keys) and inserted inside one transaction that commits only when the end line's
checksum and counts agree; a tampered, truncated or foreign archive is refused and nothing changes.
Then the files are renamed into place and the mail configuration is reconciled. The audit log is never rewritten; the restore itself is recorded in it.
With PostgreSQL the panel may keep running: restart it afterwards so it re-reads config.env.
With the embedded database stop the panel first.`,
  args: ['FILE'],
  async run({ args: [file] }) {
    const { input, kind } = await archiveFile.open(file!)
    const config = loadPanelConfig()
    const db = await openMigratedDatabase(config)
    try {
      let restored
      try {
        restored = await backup.restoreFrom(input, kind)
      }
      catch (err) {
        await auditCli('restore', file!, err instanceof ApiError ? err.status : 500)
        throw new CliError(`restore refused: ${errorLine(err)}`)
      }
      await auditCli('restore', file!, 200)
      const counts = Object.entries(restored.restored).map(([table, n]) => `${n} ${table}`).join(', ')
      process.stdout.write(`Backup of ${restored.createdAt} restored: ${counts}; files: ${restored.files.join(', ')}\n`)
      if (restored.auditLines) say('Its audit.log is kept in the archive only (the live audit log is append-only).')
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
