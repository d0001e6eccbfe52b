import { policyd } from '#server/policyd/daemon'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'

/** POST /api/v1/policyd/reset/:id — clears the mailbox's daily send count (today, UTC) → `{message, cleared}`. */
export default defineApiHandler(async (event) => {
  const result = await policyd.reset(getIdParam(event))
  if (!result) throw apiErrors.notFound('MAILBOX')
  return respond.message('Daily send count cleared', result)
})
