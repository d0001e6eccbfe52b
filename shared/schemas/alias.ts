import * as v from 'valibot'
import { DOMAIN_PART_RE, emailAddress, id, LOCAL_PART_RE, MAX_LOCAL_PART, NON_EMPTY_MESSAGE, nonEmpty, normalized } from './common'

const MAX_DESTINATIONS = 1000

/** `info`, `info@example.com`, or `@example.com` (catch-all); the domain part must be the alias's domain. */
export const aliasSource = v.pipe(
  normalized,
  v.check((s) => {
    const [local = '', domain, ...rest] = s.split('@')
    if (rest.length) return false
    // Any host-name-like text after @ passes here: the server compares it with the alias's domain and says which it must be.
    const domainOk = domain === undefined || DOMAIN_PART_RE.test(domain)
    if (local === '') return domain !== undefined && domainOk
    return local.length <= MAX_LOCAL_PART && LOCAL_PART_RE.test(local) && domainOk
  }, 'must be a local part ("info"), a full address in the domain ("info@example.com") or "@example.com" for a catch-all'),
)

export const aliasDestinations = v.pipe(
  v.array(emailAddress, 'must be a list of email addresses'),
  v.minLength(1, 'must name at least one address'),
  v.maxLength(MAX_DESTINATIONS, `must name at most ${MAX_DESTINATIONS} addresses`),
  v.transform(list => [...new Set(list)]),
)

export const aliasCreateSchema = v.strictObject({
  domain_id: id,
  source: aliasSource,
  destinations: aliasDestinations,
  active: v.optional(v.boolean()),
})

export const aliasUpdateSchema = v.pipe(
  v.strictObject({
    destinations: v.optional(aliasDestinations),
    active: v.optional(v.boolean()),
  }),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)

export type AliasCreate = v.InferOutput<typeof aliasCreateSchema>
export type AliasUpdate = v.InferOutput<typeof aliasUpdateSchema>
