import { aliasesDb } from '../../../db/queries/aliases'
import { defineApiHandler } from '../../../utils/api-handler'
import { apiErrors } from '../../../utils/errors'
import { getIdParam } from '../../../utils/validate'

/** GET /api/v1/aliases/:id — the alias. */
export default defineApiHandler(async (event) => {
  const alias = await aliasesDb.get(getIdParam(event))
  if (!alias) throw apiErrors.notFound('ALIAS')
  return alias
})
