import { definePagedList } from '#server/request/paged-list'
import { certificates } from '#server/services/tls/certificates'

/** GET /api/v1/certificates — stored certificates (metadata only, never a key), `active` on the one being served. */
export default definePagedList(page => certificates.list(page))
