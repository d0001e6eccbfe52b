import { defineApiHandler } from '#server/request/api-handler'
import { webmail } from '#server/services/webmail/webmail'

/** POST /api/v1/webmail/start — starts the companion (systemctl, or the panel's supervisor without systemd); answers with its status after. */
export default defineApiHandler(() => webmail.start())
