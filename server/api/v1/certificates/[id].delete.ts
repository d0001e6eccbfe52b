import { certificates } from '../../../services/tls/certificates'
import { defineApiHandler } from '../../../utils/api-handler'
import { reconciler } from '../../../mailstack/runner'
import { respond } from '../../../utils/respond'
import { getIdParam } from '../../../utils/validate'

/** DELETE /api/v1/certificates/:id — removes a certificate and its files; 409 CERTIFICATE_ACTIVE for the one being served. */
export default defineApiHandler(async (event) => {
  const gone = await certificates.remove(getIdParam(event))
  // Postfix and Dovecot serve the newest valid certificate: the reconciler installs it.
  reconciler.request('certificates')
  return respond.message(`Certificate ${gone.id} for ${gone.hostname} deleted`)
})
