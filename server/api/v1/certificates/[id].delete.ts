import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { reconciler } from '#server/mailstack/runner'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'

/** DELETE /api/v1/certificates/:id — removes a certificate and its files; 409 CERTIFICATE_ACTIVE for the one being served. */
export default defineApiHandler(async (event) => {
  const gone = await certificates.remove(getIdParam(event))
  // Postfix and Dovecot serve the newest valid certificate: the reconciler installs it.
  reconciler.request('certificates')
  return respond.message(`Certificate ${gone.id} for ${gone.hostname} deleted`)
})
