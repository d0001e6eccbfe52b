import { setResponseHeaders } from 'h3'
import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { audit } from '#server/services/audit/audit'
import { securitySettings } from '#server/services/access/security-settings'
import { backup } from '#server/services/backup/backup'
import { getValidQuery } from '#server/request/validate'

const query = v.strictObject({
  include_audit: v.optional(v.picklist(['true', 'false'], 'must be true or false'), 'false'),
})

/**
 * GET /api/v1/admin/backup — a gzip archive of JSON lines (`.jsonl.gz`, format 2: backup-lines.ts)
 * of the database content and config.env (`?include_audit=true` adds the audit log), streamed from
 * the database as it is read. It holds password hashes and secrets: never cached, and every download
 * is written to the audit log.
 */
export default defineApiHandler(async (event) => {
  const { include_audit } = getValidQuery(event, query)
  const { stream, fileName } = await backup.stream({ includeAudit: include_audit === 'true' })
  await audit.append({ time: new Date().toISOString(), actor: event.context.actor!.name, action: 'GET /api/v1/admin/backup', target: fileName, ip: await securitySettings.clientIp(event), status: 200 })
  setResponseHeaders(event, {
    'Content-Type': 'application/gzip',
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
  })
  return stream
}, { query: true })
