import * as v from 'valibot'
import { emailAddress } from './common'

/**
 * A DNS hostname as it may appear in a file path (certbot's live/<hostname>/) and on a command
 * line: lower-case ASCII letters, digits and inner hyphens in dot-separated labels of 1–63, at most
 * 253 in all. So never `..`, `/`, whitespace, quotes or shell metacharacters; IDNs in xn-- form.
 */
export const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/
/** What an uploaded certificate may be checked against besides a hostname: `*.example.com` (left-most label only). Never a path. */
export const WILDCARD_RE = /^\*\.(?=.{1,251}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/

/** PEM text limit per field: a leaf plus a few intermediates is 2–8 KiB. */
export const MAX_PEM_BYTES = 64 * 1024
export const CERTBOT_METHODS = ['standalone', 'webroot'] as const

const HOSTNAME_MESSAGE = 'must be a DNS hostname such as mail.example.com (letters, digits, hyphens and dots; IDNs in xn-- form)'

const lowerTrimmed = v.pipe(v.string('must be a string'), v.trim(), v.toLowerCase(), v.maxLength(253, 'must be at most 253 characters'))

export const hostname = v.pipe(lowerTrimmed, v.regex(HOSTNAME_RE, HOSTNAME_MESSAGE))

/** A name a public CA will issue for: at least two labels. */
export const publicHostname = v.pipe(hostname, v.includes('.', 'must be a fully qualified name such as mail.example.com'))

export const hostnameOrWildcard = v.pipe(
  lowerTrimmed,
  v.check(s => HOSTNAME_RE.test(s) || WILDCARD_RE.test(s), `${HOSTNAME_MESSAGE}, or a wildcard such as *.example.com`),
)

const pem = v.pipe(
  v.string('must be PEM text'),
  v.minLength(1, 'is required'),
  v.check(s => Buffer.byteLength(s) <= MAX_PEM_BYTES, `must be at most ${MAX_PEM_BYTES} bytes`),
)

export const certificateUploadSchema = v.strictObject({
  /** The leaf first, then any intermediates. */
  certificate: pem,
  private_key: pem,
  /** The name the certificate must cover; MAIL_HOSTNAME when omitted. */
  hostname: v.optional(hostnameOrWildcard),
})

export const certificateIssueSchema = v.pipe(
  v.strictObject({
    hostname: v.optional(publicHostname),
    /** For the ACME account (expiry notices); without one certbot registers without an address. */
    email: v.optional(emailAddress),
    method: v.optional(v.picklist(CERTBOT_METHODS, `must be one of ${CERTBOT_METHODS.join(', ')}`), 'standalone'),
    /** Standalone only: the port certbot's own HTTP server binds (default 80; another when port 80 is forwarded to it). */
    http_port: v.optional(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(65535, 'must be at most 65535'))),
  }),
  v.forward(v.check(input => input.http_port === undefined || input.method === 'standalone', 'is only used with method standalone'), ['http_port']),
)

export const certificateRenewSchema = v.strictObject({
  /** Renew now even when certbot finds the certificate not yet due (it renews within 30 days of expiry). */
  force: v.optional(v.boolean('must be true or false'), false),
})

export type CertificateUpload = v.InferOutput<typeof certificateUploadSchema>
export type CertificateIssue = v.InferOutput<typeof certificateIssueSchema>
export type CertbotMethod = (typeof CERTBOT_METHODS)[number]
