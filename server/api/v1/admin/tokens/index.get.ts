import { tokensDb } from '#server/db/queries/tokens'
import { definePagedList } from '#server/request/paged-list'

/** GET /api/v1/admin/tokens — managed API tokens (never the token itself; `prefix` identifies it). */
export default definePagedList(page => tokensDb.list(page))
