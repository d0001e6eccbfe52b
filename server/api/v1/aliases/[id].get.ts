import { aliasesDb } from '#server/db/queries/aliases'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

/** GET /api/v1/aliases/:id — the alias. */
export default defineApiHandler(async (event) => {
  const alias = await aliasesDb.get(getIdParam(event))
  if (!alias) throw apiErrors.notFound('ALIAS')
  return alias
})
