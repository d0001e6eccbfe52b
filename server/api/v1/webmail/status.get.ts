import { defineApiHandler } from '#server/request/api-handler'
import { webmail } from '#server/services/webmail/webmail'

/** GET /api/v1/webmail/status — whether BackendSide WebMail is installed (its binary or unit), running (pid), its version, and who manages it. */
export default defineApiHandler(() => webmail.status())
