import { overridesUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '#server/db/queries/limits'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PUT /api/v1/mailboxes/:id/config — sets overrides (any subset); null clears one. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, overridesUpdateSchema)
  if (!await limitsDb.updateOverrides('mailboxes', id, changes)) throw apiErrors.notFound('MAILBOX')
  return respond.message('Mailbox configuration updated')
})
