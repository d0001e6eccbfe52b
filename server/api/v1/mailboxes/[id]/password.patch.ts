import { mailboxPasswordSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '../../../../db/queries/mailboxes'
import { defineApiHandler } from '../../../../utils/api-handler'
import { apiErrors } from '../../../../utils/errors'
import { passwords } from '../../../../utils/password'
import { respond } from '../../../../utils/respond'
import { getIdParam, readValidBody } from '../../../../utils/validate'

/** PATCH /api/v1/mailboxes/:id/password — sets a new password (stored as {BLF-CRYPT} bcrypt). */
export default defineApiHandler(async (event) => {
  const id = getIdParam(event)
  const { password } = await readValidBody(event, mailboxPasswordSchema)
  if (!await mailboxesDb.setPassword(id, await passwords.hashMailbox(password))) throw apiErrors.notFound('MAILBOX')
  return respond.message('Password changed')
})
