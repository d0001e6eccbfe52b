import { defineApiHandler } from '#server/request/api-handler'
import { antispamConfig } from '#server/services/antispam/config'

/** GET /api/v1/config/antispam — the anti-spam settings and, per feature, enabled / installed / active. */
export default defineApiHandler(() => antispamConfig.get())
