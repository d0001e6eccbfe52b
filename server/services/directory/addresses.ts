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
  // A partial or other domain ("bob@exa", "bob@example.co") would misroute mail: say which it must be.
  if (input.slice(at + 1) !== domain.name) throw apiErrors.validation(`${field}: the address must be in ${domain.name} (domain_id ${domainId}); send "${input.slice(0, at)}" or the full address in ${domain.name}`)
  return { domain, localPart: input.slice(0, at) }
}

/**
 * An alias whose only destination is its own address is a mail loop (Postfix would bounce every
 * message after its hop limit). Itself plus others is fine: Postfix then keeps a copy in the mailbox
 * of that name if there is one and delivers to the rest.
 */
export function refuseAliasLoop(source: string, destinations: string[]): void {
  if (destinations.length > 0 && destinations.every(d => d === source)) {
    throw apiErrors.validation('destinations: must name an address other than the alias itself (it would forward to itself in a loop)')
  }
}
