import { whitelistCreateSchema } from '#shared/schemas/antispam'
import { antispamDb } from '#server/db/queries/antispam'
import { reconciler } from '#server/mailstack/runner'
import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/** POST /api/v1/antispam/whitelist — adds {kind, value, comment?} in its canonical spelling; a duplicate is a 409. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, whitelistCreateSchema)
  const created = await antispamDb.addToWhitelist(input)
  reconciler.request('antispam-whitelist')
  return respond.message(`Whitelist entry ${created.id} added (${created.kind} ${created.value})`, created)
}, { status: 201 })
