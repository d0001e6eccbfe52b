import { policyd } from '../../../../policyd/daemon'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { respond } from '../../../../utils/respond'
import { getIdParam } from '../../../../utils/validate'

/** POST /api/v1/policyd/reset/:id — clears the mailbox's daily send count (today, UTC) → `{message, cleared}`. */
export default defineApiHandler(async (event) => {
  const result = await policyd.reset(getIdParam(event))
  if (!result) throw apiErrors.notFound('MAILBOX')
  return respond.message('Daily send count cleared', result)
})
