import { policyd } from '../../../policyd/daemon'
import { defineApiHandler } from '../../../utils/api-handler'

/** GET /api/v1/policyd/status — listener, this process's connections/requests/decisions, today's per-mailbox usage. */
export default defineApiHandler(() => policyd.status())
