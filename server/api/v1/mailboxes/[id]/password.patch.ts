import { mailboxPasswordSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { defineApiHandler } from '#server/request/api-handler'
import { apiErrors } from '#server/utils/errors'
import { passwords } from '#server/utils/password'
import { respond } from '#server/request/respond'
import { getIdParam, readValidBody } from '#server/request/validate'

/** PATCH /api/v1/mailboxes/:id/password — sets a new password (stored as {BLF-CRYPT} bcrypt). */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const { password } = await readValidBody(event, mailboxPasswordSchema)
  if (!await mailboxesDb.setPassword(id, await passwords.hashMailbox(password))) throw apiErrors.notFound('MAILBOX')
  return respond.message('Password changed')
})
