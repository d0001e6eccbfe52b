import * as v from 'valibot'
import { DOMAIN_NAME_RE, id } from './common'

// DKIM key requests: the API checks with these, the renderer re-checks selectors and key paths.

/** A DNS label: what OpenDKIM's KeyTable, the key file name and `<selector>._domainkey` all take. */
export const DKIM_SELECTOR_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const DKIM_RSA_BITS = [1024, 2048, 3072, 4096] as const
/** What a key may be (the DNS record's k= tag): RSA signs in OpenDKIM, Ed25519 in the second OpenDKIM. */
export const DKIM_ALGORITHMS = ['rsa', 'ed25519'] as const
export const DKIM_DEFAULT_BITS = 2048
export const ED25519_BITS = 256

// Path traversal, folder separators, blanks and anything a shell would read: named before the format
// check, so `../x` is told what is wrong with it rather than only that it is "not in the format".
const UNSAFE = /\.\.|[/\\\s$`;&|<>(){}[\]'"*?!~#%^=,:@+]/
const UNSAFE_MESSAGE = 'must not contain "..", "/", whitespace or shell metacharacters'

const safeString = v.pipe(
  v.string('must be a string'),
  v.check(s => !UNSAFE.test(s), UNSAFE_MESSAGE),
  v.toLowerCase(),
)

export const dkimSelector = v.pipe(
  safeString,
  v.regex(DKIM_SELECTOR_RE, 'must be 1 to 63 characters of a-z, 0-9 and "-", not starting or ending with "-"'),
)

export const dkimDomainName = v.pipe(
  safeString,
  v.regex(DOMAIN_NAME_RE, 'must be a domain name such as example.com (IDNs in xn-- form)'),
)

export const dkimGenerateSchema = v.pipe(
  v.strictObject({
    domain_id: v.optional(id),
    domain: v.optional(dkimDomainName),
    selector: v.optional(dkimSelector),
    bits: v.optional(v.picklist(DKIM_RSA_BITS, `must be one of ${DKIM_RSA_BITS.join(', ')}`)),
    algorithm: v.optional(v.picklist(DKIM_ALGORITHMS, `must be one of ${DKIM_ALGORITHMS.join(', ')}`), 'rsa'),
  }),
  v.forward(v.check(b => (b.domain_id === undefined) !== (b.domain === undefined), 'send exactly one of domain_id or domain'), ['domain_id']),
  v.forward(v.check(b => b.algorithm === 'rsa' || b.bits === undefined, `applies to RSA keys only (an Ed25519 key is always ${ED25519_BITS} bits)`), ['bits']),
)

export type DkimGenerate = v.InferOutput<typeof dkimGenerateSchema>
