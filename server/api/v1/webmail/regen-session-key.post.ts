import { defineApiHandler } from '#server/request/api-handler'
import { webmail } from '#server/services/webmail/webmail'

/** POST /api/v1/webmail/regen-session-key — a new random session secret in the config file; answers its fingerprint only. Applies at the next restart. */
export default defineApiHandler(() => webmail.regenerateSecret())
