import * as v from 'valibot'
import { HOSTNAME_RE } from './certificates'
import { logsQuery } from './logs'

/**
 * The BackendSide WebMail companion's settings (etc/backendside-webmail/config.yaml): one schema for
 * PUT /api/v1/webmail/config, the dashboard's form and the file the panel reads back. Every string
 * that reaches the file is bounded and free of control characters (no newline can start a YAML key of
 * its own, whatever the serializer does). The session secret is not part of it: it is made by the
 * server (POST /api/v1/webmail/regen-session-key) and never sent back in full.
 */

export const MAX_MAIL_SERVERS = 50
export const MAX_SERVER_NAME = 64
export const DEFAULT_WEBMAIL_PORT = 8090
export const MAIL_SECURITY = ['tls', 'starttls', 'none'] as const
export type MailSecurity = typeof MAIL_SECURITY[number]

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
// C0 controls, DEL and C1 controls; line and paragraph separators too (some YAML readers break lines there).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/

const isIpv6 = (s: string) => v.is(v.pipe(v.string(), v.ipv6()), s)

export const port = v.pipe(
  v.number('must be a number'),
  v.integer('must be an integer'),
  v.minValue(1, 'must be a port from 1 to 65535'),
  v.maxValue(65535, 'must be a port from 1 to 65535'),
)

/** A DNS hostname, an IPv4 address or an IPv6 address (without brackets or zone). */
export const serverHost = v.pipe(
  v.string('must be a string'),
  v.maxLength(253, 'must be at most 253 characters'),
  v.check(s => !CONTROL_RE.test(s), 'must not contain control characters or line breaks'),
  v.trim(),
  v.toLowerCase(),
  v.check(s => HOSTNAME_RE.test(s) || IPV4_RE.test(s) || (isIpv6(s) && !s.includes('%')), 'must be a hostname such as mail.example.com or an IP address'),
)

export const serverName = v.pipe(
  v.string('must be a string'),
  v.check(s => !CONTROL_RE.test(s), 'must not contain control characters or line breaks'),
  v.trim(),
  v.minLength(1, 'is required'),
  v.maxLength(MAX_SERVER_NAME, `must be at most ${MAX_SERVER_NAME} characters`),
)

/** One row of the server table: where webmail users' IMAP and SMTP connections go. */
export const mailServer = v.strictObject({
  name: serverName,
  host: serverHost,
  imap_port: port,
  smtp_port: port,
  security: v.picklist(MAIL_SECURITY, 'must be one of tls, starttls, none'),
})
export type MailServer = v.InferOutput<typeof mailServer>

const webmailFields = {
  listen_port: port,
  cookie_secure: v.boolean('must be true or false'),
  allow_custom_server: v.boolean('must be true or false'),
  allow_insecure_plaintext: v.boolean('must be true or false'),
  mail_servers: v.pipe(
    v.array(mailServer, 'must be a list'),
    v.maxLength(MAX_MAIL_SERVERS, `must have at most ${MAX_MAIL_SERVERS} servers`),
  ),
}

/** The whole editable configuration (PUT replaces it; the secret is kept). */
export const webmailConfig = v.pipe(
  v.strictObject(webmailFields),
  // A server reached without TLS sends passwords in clear: only when the admin has allowed that.
  v.forward(
    v.check(c => c.allow_insecure_plaintext || c.mail_servers.every(s => s.security !== 'none'), 'must be on for a server with security "none"'),
    ['allow_insecure_plaintext'],
  ),
)
export type WebmailConfig = v.InferOutput<typeof webmailConfig>

/** What a new config file starts from. */
export const WEBMAIL_DEFAULTS: WebmailConfig = {
  listen_port: DEFAULT_WEBMAIL_PORT,
  cookie_secure: true,
  allow_custom_server: false,
  allow_insecure_plaintext: false,
  mail_servers: [],
}

/** GET /api/v1/webmail/logs: the line counts and literal filter of GET /api/v1/logs, without the service. */
export const webmailLogsQuery = v.strictObject({ lines: logsQuery.entries.lines, q: logsQuery.entries.q })
export type WebmailLogsQuery = v.InferOutput<typeof webmailLogsQuery>
