import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'
import { reconciler } from '#server/mailstack/runner'
import { dkim } from '#server/services/dkim/dkim'
import { dkimGenerateSchema } from '#shared/schemas/dkim'

/** POST /api/v1/dkim/generate — a new RSA or Ed25519 key for a panel domain; the first of its algorithm signs, later ones wait for activate. */
export default defineApiHandler(async (event) => {
  const key = await dkim.generate(await readValidBody(event, dkimGenerateSchema))
  // The reconciler writes the key files and OpenDKIM's tables.
  reconciler.request('dkim')
  return respond.message(`DKIM key ${key.selector} created for ${key.domain} (${key.status}); publish its TXT record`, { id: key.id, key })
}, { status: 201 })
