import { policydDb } from '#server/db/queries/policyd'
import { defineApiHandler } from '#server/request/api-handler'

/** GET /api/v1/policyd/settings — `{policyd_fail_mode}`: what authenticated senders get while the database is unreachable. */
export default defineApiHandler(async () => ({ policyd_fail_mode: await policydDb.failMode() }))
