import { domainsDb } from '#server/db/queries/domains'
import { apiErrors } from '#server/utils/errors'
import type { Domain } from '#shared/types/directory'

/**
 * Splits `user` or `user@domain` against the domain it is being created in: returns the local part,
 * rejecting an `@domain` that names a different domain (a typo there would misroute mail).
 */
export async function resolveLocalPart(domainId: number, input: string, field: string): Promise<{ domain: Domain, localPart: string }> {
  const domain = await domainsDb.get(domainId)
  if (!domain) throw apiErrors.notFound('DOMAIN', `domain_id: no domain with id ${domainId} exists.`)
  const at = input.indexOf('@')
  if (at === -1) return { domain, localPart: input }
  const suffix = input.slice(at + 1)
  if (suffix !== domain.name) throw apiErrors.validation(`${field}: the address is in ${suffix}, but domain_id ${domainId} is ${domain.name}`)
  return { domain, localPart: input.slice(0, at) }
}
