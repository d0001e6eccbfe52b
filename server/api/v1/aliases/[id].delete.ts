import { aliasesDb } from '#server/db/queries/aliases'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { respond } from '#server/request/respond'
import { getIdParam } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** DELETE /api/v1/aliases/:id — deletes the alias. */
export default defineApiHandler(async (event) => {
  const gone = await aliasesDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('ALIAS')
  await webhooks.emit('alias.deleted', gone)
  return respond.message(`Alias ${gone.source} deleted`)
})
