import { backup } from '#server/services/backup/backup'
import { auditCli, EXIT, loadPanelConfig, openMigratedDatabase, say, type CliCommand } from '../context'
import { archiveFile } from './archive-file'

export const backupCommand: CliCommand = {
  name: 'backup',
  synopsis: 'backup [--include-audit] FILE',
  summary: 'write a backup archive (the format of GET /api/v1/admin/backup) to FILE, - for stdout',
  details: `Writes the same gzip archive as GET /api/v1/admin/backup: one consistent snapshot of the
database plus config.env (and firewall.json); --include-audit adds the audit log. FILE is
replaced whole (mode 0600: the archive holds password hashes and secrets); - writes to stdout.
Restore it with \`backendside-mailpanel restore FILE\` or POST /api/v1/admin/restore.`,
  options: { 'include-audit': { type: 'boolean' } },
  args: ['FILE'],
  async run({ values, args: [file] }) {
    archiveFile.checkWritable(file!)
    const db = await openMigratedDatabase(loadPanelConfig())
    try {
      const { bytes, fileName } = await backup.create({ includeAudit: values['include-audit'] === true })
      await archiveFile.write(file!, bytes)
      await auditCli('backup', file === '-' ? fileName : file!, 200)
      say(`Backup written to ${file === '-' ? 'stdout' : file} (${bytes.length} bytes).`)
      return EXIT.OK
    }
    finally {
      await db.close()
    }
  },
}
