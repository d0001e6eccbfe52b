import { certificates } from '../../../services/tls/certificates'
import { defineApiHandler } from '../../../utils/api-handler'
import { getIdParam } from '../../../utils/validate'

/** GET /api/v1/certificates/:id — one certificate's metadata. */
export default defineApiHandler(event => certificates.get(getIdParam(event)))
