import * as v from 'valibot'

export const MAX_INT4 = 2_147_483_647

/** A lower-case ASCII domain such as example.com (IDNs in their xn-- form). */
export const DOMAIN_NAME_RE = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/
/** Local parts the panel creates: safe as a Maildir folder name; no `+` (the recipient delimiter). */
export const LOCAL_PART_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/
/** Destination addresses may be external and use sub-addressing. */
export const ADDRESS_RE = /^[a-z0-9_%+=-]+(?:\.[a-z0-9_%+=-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/

export const MAX_LOCAL_PART = 64
/**
 * The part after @ in a mailbox username or alias source, before the server compares it with the
 * domain it is created in: host-name characters only, so a partial or other domain ("exa",
 * "example.co") reaches that comparison and is told which domain the address must be in.
 */
export const DOMAIN_PART_RE = /^[a-z0-9.-]{1,253}$/

export const normalized = v.pipe(v.string(), v.trim(), v.toLowerCase())

export const domainName = v.pipe(
  normalized,
  v.regex(DOMAIN_NAME_RE, 'must be a domain name such as example.com (IDNs in xn-- form)'),
)

export const localPart = v.pipe(
  normalized,
  v.maxLength(MAX_LOCAL_PART, `must be at most ${MAX_LOCAL_PART} characters`),
  v.regex(LOCAL_PART_RE, 'may contain a-z, 0-9, ".", "_" and "-", not start or end with a dot'),
)

export const emailAddress = v.pipe(
  normalized,
  v.maxLength(254, 'must be at most 254 characters'),
  v.regex(ADDRESS_RE, 'must be an email address such as user@example.com'),
)

export const id = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(MAX_INT4, 'is too large'))

export const displayName = v.pipe(v.string(), v.trim(), v.maxLength(255, 'must be at most 255 characters'))

/** PUT bodies must change something: an empty object is a client bug, not a no-op. */
export const nonEmpty = <T extends object>(value: T) => Object.keys(value).length > 0
export const NON_EMPTY_MESSAGE = 'send at least one field to change'
