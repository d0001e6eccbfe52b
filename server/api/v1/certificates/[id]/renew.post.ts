import { certificateRenewSchema } from '#shared/schemas/certificates'
import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { respond } from '#server/request/respond'
import { getIdParam, hasBody, readValidBody } from '#server/request/validate'

/** POST /api/v1/certificates/:id/renew — certbot renew for that lineage (body optional: `{"force": true}` renews even when not due). */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  // The body is read once and kept, so readValidBody reads the same bytes again.
  const { force } = (await hasBody(event)) ? await readValidBody(event, certificateRenewSchema) : { force: false }
  const { row, renewed } = await certificates.renew(id, force)
  const until = row.not_after.toISOString()
  // Postfix and Dovecot serve the newest valid certificate: the reconciler installs it.
  reconciler.request('certificates')
  return respond.message(renewed ? `Certificate ${id} renewed (valid until ${until})` : `Certificate ${id} is not due for renewal (valid until ${until}); send {"force": true} to renew now`, { renewed, not_after: until })
})
