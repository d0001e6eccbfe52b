import { defineApiHandler } from '#server/request/api-handler'
import { webmail } from '#server/services/webmail/webmail'

/** GET /api/v1/webmail/config — the companion's settings; the session secret only as set/fingerprint, never its value. */
export default defineApiHandler(() => webmail.readConfig())
