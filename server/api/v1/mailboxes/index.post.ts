import { mailboxCreateSchema } from '#shared/schemas/mailbox'
import { mailboxesDb } from '../../../db/queries/mailboxes'
import { resolveLocalPart } from '../../../services/addresses'
import { defineApiHandler } from '../../../utils/api-handler'
import { passwords } from '../../../utils/password'
import { respond } from '../../../utils/respond'
import { readValidBody } from '../../../utils/validate'
import { webhooks } from '../../../utils/webhooks'

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
