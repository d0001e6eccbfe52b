import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'

/** GET /api/v1/config/server — the server-wide default limits (tier 1). */
export default defineApiHandler(() => limitsDb.getServer())
