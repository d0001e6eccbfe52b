import { certificates } from '#server/services/tls/certificates'
import { defineApiHandler } from '#server/request/api-handler'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/certificates/:id — one certificate's metadata. */
export default defineApiHandler(event => certificates.get(getIdParam(event)))
