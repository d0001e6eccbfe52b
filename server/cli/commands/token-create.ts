import * as v from 'valibot'
import { tokenCreateSchema } from '#shared/schemas/security'
import { apiTokens } from '#server/services/access/api-tokens'
import { auditCli, EXIT, loadPanelConfig, openMigratedDatabase, say, UsageError, type CliCommand } from '../context'

export const tokenCreateCommand: CliCommand = {
  name: 'token create',
  synopsis: 'token create NAME',
  summary: 'mint a named API token and print it (once)',
  details: `Mints a managed API token, exactly as POST /api/v1/admin/tokens does: only its SHA-256 is
stored, it is listed (and revoked) in the dashboard's API tokens tab, and the audit log records it.
The token is the only thing on stdout, so a script can capture it:
  TOKEN=$(backendside-mailpanel token create deploy-bot)
Send it in the X-API-Key header.`,
  args: ['NAME'],
  async run({ args: [name] }) {
    const parsed = v.safeParse(tokenCreateSchema, { name })
    if (!parsed.success) throw new UsageError(`NAME ${parsed.issues[0].message}`)
    const db = await openMigratedDatabase(loadPanelConfig())
    try {
      const { row, token } = await apiTokens.mint(parsed.output.name)
      await auditCli('token create', String(row.id), 201)
      process.stdout.write(`${token}\n`)
      say(`Token ${row.name} created (id ${row.id}); copy it now, it is not shown again.`)
      return EXIT.OK
    }
    finally {
      await db.close()
    }
  },
}
