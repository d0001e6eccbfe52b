import { mailboxCreateSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '#server/db/queries/mailboxes'
import { resolveLocalPart } from '#server/services/directory/addresses'
import { defineApiHandler } from '#server/request/api-handler'
import { passwords } from '#server/utils/password'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'
import { webhooks } from '#server/services/webhooks/webhooks'

/** POST /api/v1/mailboxes — creates a mailbox; `username` may be `user` or `user@<its domain>`. */
export default defineApiHandler(async (event) => {
  const input = await readValidBody(event, mailboxCreateSchema)
  const { localPart } = await resolveLocalPart(input.domain_id, input.username, 'username')
  const mailbox = await mailboxesDb.create({
    domainId: input.domain_id,
    username: localPart,
    passwordHash: await passwords.hashMailbox(input.password),
    name: input.name,
    quotaMb: input.quota_mb,
    active: input.active,
  })
  await webhooks.emit('mailbox.created', mailbox)
  return respond.message(`Mailbox ${mailbox.address} created`, { id: mailbox.id })
}, { status: 201 })
