import { antispamDb } from '#server/db/queries/antispam'
import { defineApiHandler } from '#server/request/api-handler'

/** GET /api/v1/antispam/whitelist — every entry ({data: [...]}), by kind and value. */
export default defineApiHandler(async () => ({ data: await antispamDb.listWhitelist() }))
