import { webhooksDb } from '#server/db/queries/webhooks'
import { definePagedList } from '#server/request/paged-list'

/** GET /api/v1/admin/webhooks — registered receivers with their last delivery status (never the secret). */
export default definePagedList(page => webhooksDb.list(page))
