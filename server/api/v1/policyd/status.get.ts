import { policyd } from '#server/policyd/daemon'
import { defineApiHandler } from '#server/request/api-handler'

/** GET /api/v1/policyd/status — listener, this process's connections/requests/decisions, today's per-mailbox usage. */
export default defineApiHandler(() => policyd.status())
