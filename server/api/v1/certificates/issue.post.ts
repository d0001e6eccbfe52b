import { certificateIssueSchema } from '#shared/schemas/certificates'
import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** POST /api/v1/certificates/issue — obtains a Let's Encrypt certificate through certbot (standalone or webroot). */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, certificateIssueSchema)
  const row = await certificates.issue(input)
  // Postfix and Dovecot serve the newest valid certificate: the reconciler installs it.
  reconciler.request('certificates')
  return respond.message(`Certificate ${row.id} issued for ${row.hostname} by ${row.issuer} (valid until ${row.not_after.toISOString()})`, { id: row.id })
}, { status: 201 })
