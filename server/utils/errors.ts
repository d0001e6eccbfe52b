import { isError as isH3Error } from 'h3'

/** An error the API reports as-is: `{error, detail, code}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly error: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(error)
  }
}

export interface ErrorEnvelope {
  error: string
  detail: string
  code: string
}

/** Entity names as they appear in codes: `DOMAIN` → DOMAIN_NOT_FOUND / DOMAIN_EXISTS. */
export type Entity = 'DOMAIN' | 'MAILBOX' | 'ALIAS' | 'TOKEN' | 'WEBHOOK' | 'ROUTE' | 'WHITELIST_ENTRY' | 'QUEUE_MESSAGE' | 'SESSION'

const label = (entity: Entity) => entity.charAt(0) + entity.slice(1).toLowerCase().replaceAll('_', ' ')

export const apiErrors = {
  validation: (detail: string) => new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', detail),
  unauthorized: (detail = 'Sign in at POST /auth/login, or send an X-API-Key header.') =>
    new ApiError(401, 'UNAUTHORIZED', 'Authentication required', detail),
  forbidden: (detail: string) => new ApiError(403, 'FORBIDDEN', 'Forbidden', detail),
  notFound: (entity: Entity, detail = `No ${label(entity).toLowerCase()} with that id exists.`) =>
    new ApiError(404, `${entity}_NOT_FOUND`, `${label(entity)} not found`, detail),
  exists: (entity: Entity, detail: string) => new ApiError(409, `${entity}_EXISTS`, `${label(entity)} already exists`, detail),
  unsupportedMediaType: () =>
    new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the body as JSON with Content-Type: application/json.'),
  unavailable: (detail: string) => new ApiError(503, 'SERVICE_UNAVAILABLE', 'Service unavailable', detail),
  /** A program the request needs is not installed: which one, and the package that provides it. */
  capabilityMissing: (binary: string, packages: { debian: string, rhel: string | null }) =>
    new ApiError(409, 'CAPABILITY_MISSING', 'Capability missing', `${binary} is not installed on this server: install the ${packages.debian} package (Debian/Ubuntu)${packages.rhel ? ` or ${packages.rhel} (RHEL family)` : ''}.`),
  internal: () => new ApiError(500, 'INTERNAL_ERROR', 'Internal error', 'The error was logged on the server; try again or check the panel log.'),
}

// postgres://user:pass@host/db and key=value DSNs must never reach a client or a log line.
const DSN_PATTERNS = [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"@/]*:[^\s'"@]*@[^\s'"]+/gi, /\bpostgres(?:ql)?:\/\/[^\s'"]+/gi, /\bpassword\s*=\s*\S+/gi]

export function scrubSecrets(text: string): string {
  return DSN_PATTERNS.reduce((acc, re) => acc.replace(re, '[redacted]'), text)
}

interface PgErrorLike {
  code?: string
  constraint_name?: string
  detail?: string
}

/** Constraint names (see migrations) → the API's conflict and reference errors. */
const UNIQUE_CONSTRAINTS: Record<string, [Entity, string]> = {
  domains_name_key: ['DOMAIN', 'A domain with that name already exists.'],
  mailboxes_domain_id_username_key: ['MAILBOX', 'A mailbox with that address already exists.'],
  aliases_domain_id_local_part_key: ['ALIAS', 'An alias with that source address already exists.'],
  spam_whitelist_kind_value_key: ['WHITELIST_ENTRY', 'That entry is already on the anti-spam whitelist.'],
}

const FOREIGN_KEYS: Record<string, Entity> = {
  mailboxes_domain_id_fkey: 'DOMAIN',
  aliases_domain_id_fkey: 'DOMAIN',
}

function fromPostgres(err: PgErrorLike): ApiError | undefined {
  if (err.code === '23505' && err.constraint_name && UNIQUE_CONSTRAINTS[err.constraint_name]) {
    const [entity, detail] = UNIQUE_CONSTRAINTS[err.constraint_name]!
    return apiErrors.exists(entity, detail)
  }
  if (err.code === '23503' && err.constraint_name && FOREIGN_KEYS[err.constraint_name]) {
    return apiErrors.notFound(FOREIGN_KEYS[err.constraint_name]!, 'The referenced domain does not exist.')
  }
  // Text PostgreSQL cannot store (a NUL byte, invalid UTF-8) that got past validation: still the client's input.
  if (err.code === '22021' || err.code === '22P05') return apiErrors.validation('The request contains characters that cannot be stored (e.g. NUL).')
  // Connection-level failures: the database is down or restarting.
  if (err.code === 'ECONNREFUSED' || err.code === 'CONNECTION_CLOSED' || err.code === 'CONNECT_TIMEOUT' || err.code === '57P03') {
    return apiErrors.unavailable('The database is not reachable; retry shortly.')
  }
  return undefined
}

/** One mapper from anything thrown to the API's error; unknown errors become a bare 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const pg = fromPostgres(err as PgErrorLike)
  if (pg) return pg
  if (isH3Error(err)) {
    const status = err.statusCode
    if (status === 404) return new ApiError(404, 'ROUTE_NOT_FOUND', 'Not found', 'No API endpoint at this path; see /api/v1 in the README.')
    if (status === 405) return new ApiError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed', 'This endpoint does not accept that HTTP method.')
    if (status === 413) return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', 'Send a smaller request body.')
    if (status === 415) return apiErrors.unsupportedMediaType()
    if (status >= 400 && status < 500) return apiErrors.validation(err.statusMessage || 'The request could not be read; send valid JSON.')
  }
  return apiErrors.internal()
}
