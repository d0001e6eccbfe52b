import { limitsDb } from '../../../db/queries/limits'
import { defineApiHandler } from '../../../utils/api-handler'

/** GET /api/v1/config/server — the server-wide default limits (tier 1). */
export default defineApiHandler(() => limitsDb.getServer())
