import { overridesUpdateSchema } from '#shared/schemas/limits'
import { limitsDb } from '../../../../db/queries/limits'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { respond } from '../../../../utils/respond'
import { getIdParam, readValidBody } from '../../../../utils/validate'

/** PUT /api/v1/mailboxes/:id/config — sets overrides (any subset); null clears one. */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const changes = await readValidBody(event, overridesUpdateSchema)
  if (!await limitsDb.updateOverrides('mailboxes', id, changes)) throw apiErrors.notFound('MAILBOX')
  return respond.message('Mailbox configuration updated')
})
