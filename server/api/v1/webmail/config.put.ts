import { defineApiHandler } from '#server/request/api-handler'
import { readValidBody } from '#server/request/validate'
import { webmail } from '#server/services/webmail/webmail'
import { webmailConfig } from '#shared/schemas/webmail'

/** PUT /api/v1/webmail/config — replaces the settings (the session secret is kept), written atomically; applies at the next restart. */
export default defineApiHandler(async event => webmail.writeConfig(await readValidBody(event, webmailConfig)))
