import { tokenCreateSchema } from '#shared/schemas/security'
import { defineApiHandler } from '#server/request/api-handler'
import { apiTokens } from '#server/services/access/api-tokens'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** POST /api/v1/admin/tokens — mints a named token; the plaintext `token` is in this response only. */
export default defineApiHandler(async (event) => {
  const { name } = await readValidBody(event, tokenCreateSchema)
  const { row, token } = await apiTokens.mint(name)
  return respond.message(`Token ${row.name} created; copy it now, it is not shown again`, { id: row.id, token })
}, { status: 201 })
