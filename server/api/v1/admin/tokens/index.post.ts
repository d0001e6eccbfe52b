import { tokenCreateSchema } from '#shared/schemas/security'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiTokens } from '../../../../utils/api-tokens'
import { respond } from '../../../../utils/respond'
import { readValidBody } from '../../../../utils/validate'

/** POST /api/v1/admin/tokens — mints a named token; the plaintext `token` is in this response only. */
export default defineApiHandler(async (event) => {
  const { name } = await readValidBody(event, tokenCreateSchema)
  const { row, token } = await apiTokens.mint(name)
  return respond.message(`Token ${row.name} created; copy it now, it is not shown again`, { id: row.id, token })
}, { status: 201 })
