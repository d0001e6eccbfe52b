import { aliasesDb } from '../../../db/queries/aliases'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { respond } from '../../../utils/respond'
import { getIdParam } from '../../../utils/validate'
import { webhooks } from '../../../utils/webhooks'

/** DELETE /api/v1/aliases/:id — deletes the alias. */
export default defineApiHandler(async (event) => {
  const gone = await aliasesDb.remove(getIdParam(event))
  if (!gone) throw apiErrors.notFound('ALIAS')
  await webhooks.emit('alias.deleted', gone)
  return respond.message(`Alias ${gone.source} deleted`)
})
