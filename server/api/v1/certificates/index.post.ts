import { certificateUploadSchema } from '#shared/schemas/certificates'
import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** POST /api/v1/certificates — uploads a PEM certificate (chain) and its key; 400 unless they match, are valid now and cover the hostname. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, certificateUploadSchema)
  const row = await certificates.upload(input)
  // Postfix and Dovecot serve the newest valid certificate: the reconciler installs it.
  reconciler.request('certificates')
  return respond.message(`Certificate ${row.id} for ${row.hostname} stored (valid until ${row.not_after.toISOString()})`, { id: row.id })
}, { status: 201 })
