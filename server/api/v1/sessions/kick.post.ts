import { sessionKickSchema } from '#shared/schemas/sessions'
import { defineApiHandler } from '#server/request/api-handler'
import { readValidBody } from '#server/request/validate'
import { sessions } from '#server/services/sessions/sessions'

/** POST /api/v1/sessions/kick — `{user}`: Dovecot closes all that user's connections (`doveadm kick`); 404 SESSION_NOT_FOUND when there were none. */
export default defineApiHandler(async (event) => {
  const { user } = await readValidBody(event, sessionKickSchema)
  // A body, not a path segment: the audit entry names the user as its target.
  event.context.auditTarget = user
  return sessions.kick(user)
})
