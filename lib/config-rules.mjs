// The rules for config.env values, written once: the server applies them at start-up
// (server/utils/config.ts), the installer before it writes the file (scripts/setup), and a restore
// to the archived config.env before anything changes (server/services/backup). One rule per key;
// each returns undefined for a good value or a sentence saying what the value must be (never the
// value itself: the file holds secrets).
import { isIP } from 'node:net'
import { isIpOrCidr } from './ip-or-cidr.mjs'

export const MIN_JWT_SECRET_BYTES = 32
// The metrics scraper's bearer token: as long as the JWT secret, so guessing it is out of reach.
export const MIN_METRICS_TOKEN_BYTES = 32
const MAX_HOSTNAME_LENGTH = 253
const MAX_PORT = 65535
const MAX_ADMIN_USER = 100
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const BCRYPT = /^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$/
const DECIMAL = /^(?:0|[1-9]\d{0,4})$/
// What the policy daemon parses (server/policyd/daemon.ts parseListen): host:port or [ipv6]:port.
const LISTEN = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i
// Bytes a config.env line cannot carry (lib/env-file.mjs writes every value single-quoted on one line).
const UNWRITABLE = /['\r\n\0]/

/** Values used when a key is unset (or empty), in the file and the environment alike. */
export const CONFIG_DEFAULTS = Object.freeze({
  ADMIN_USER: 'admin',
  HOST: '127.0.0.1',
  PORT: '8080',
  LOG_FORMAT: 'text',
  MAIL_HOSTNAME: 'localhost',
  POLICYD_LISTEN: '127.0.0.1:10031',
  HTTPS: 'off',
  MAILSTATS_INTERVAL_S: '10',
  MAILLOG_SOURCE: 'file',
})

/**
 * A DNS name: letters, digits and inner hyphens per label, single dots between labels, at most 253
 * characters: nothing a path, a shell, main.cf or a certificate subject could misread.
 * @param {string} value
 */
export function isDnsName(value) {
  return value.length > 0 && value.length <= MAX_HOSTNAME_LENGTH && value.split('.').every(label => LABEL.test(label))
}

/**
 * A list of IPs / CIDRs separated by commas and/or spaces, as config.env carries one.
 * @param {string} value
 */
export const ipListEntries = value => value.split(/[\s,]+/).filter(Boolean)

/** @param {string} value */
const isPort = value => DECIMAL.test(value) && Number(value) <= MAX_PORT

/** @type {Record<string, (value: string) => string | undefined>} */
export const configRules = {
  DATABASE_URL: value => /^postgres(?:ql)?:\/\/\S*$/.test(value) ? undefined : 'must be a postgres:// URL',
  JWT_SECRET: value => Buffer.byteLength(value) >= MIN_JWT_SECRET_BYTES ? undefined : `must be at least ${MIN_JWT_SECRET_BYTES} bytes`,
  API_KEY: value => /^[\x21-\x7E]+$/.test(value) ? undefined : 'must be printable ASCII without spaces',
  // GET /metrics only (Authorization: Bearer …): a scraper's credential that can read nothing else.
  METRICS_TOKEN: value => /^[\x21-\x7E]+$/.test(value) && value.length >= MIN_METRICS_TOKEN_BYTES ? undefined : `must be at least ${MIN_METRICS_TOKEN_BYTES} printable ASCII characters without spaces`,
  // Scrapers at these addresses (IPs / CIDRs, comma-separated) read GET /metrics without a credential.
  METRICS_ALLOW: value => ipListEntries(value).length > 0 && ipListEntries(value).every(isIpOrCidr) ? undefined : 'must be IP addresses or CIDRs separated by commas, such as 127.0.0.1,10.0.0.0/8',
  // Where the stats collector reads Postfix's log: the file main.cf's maillog_file names, or the journal.
  MAILLOG_SOURCE: value => value === 'file' || value === 'journald' ? undefined : 'must be file or journald',
  // A journal directory to read instead of the system journal (journalctl --directory), e.g. a container's.
  MAILLOG_JOURNAL_DIR: value => value.startsWith('/') && !value.split('/').includes('..') && value.length <= 4096 ? undefined : 'must be an absolute path without ..',
  ADMIN_USER: value => value.length <= MAX_ADMIN_USER && /^[\x21-\x7E]+$/.test(value) ? undefined : `must be at most ${MAX_ADMIN_USER} printable ASCII characters without spaces`,
  ADMIN_PASSWORD_HASH: value => BCRYPT.test(value) ? undefined : 'must be a bcrypt hash ($2b$…)',
  HOST: value => isIP(value) || isDnsName(value) ? undefined : 'must be an IP address or a host name',
  PORT: value => isPort(value) ? undefined : `must be a port number 0..${MAX_PORT}`,
  LOG_FORMAT: value => value === 'text' || value === 'json' ? undefined : 'must be text or json',
  MAIL_HOSTNAME: value => isDnsName(value) ? undefined : 'must be a DNS name such as mail.example.com (letters, digits, hyphens and single dots)',
  POLICYD_LISTEN: (value) => {
    const match = LISTEN.exec(value)
    return match && isPort(match[3]) ? undefined : 'must be host:port such as 127.0.0.1:10031'
  },
  HTTPS: value => value === 'on' || value === 'off' ? undefined : 'must be on or off',
  // How often the stats collector reads the mail log (seconds; fractions for tests).
  MAILSTATS_INTERVAL_S: value => /^\d{1,4}(?:\.\d{1,3})?$/.test(value) && Number(value) >= 0.1 && Number(value) <= 3600 ? undefined : 'must be a number of seconds from 0.1 to 3600',
}

/** Keys without which the panel does not start. */
export const REQUIRED_KEYS = Object.freeze(['JWT_SECRET'])

/**
 * Every problem with a set of config.env values (empty values count as unset, as at start-up).
 * Keys without a rule are carried along unchecked, except that every value must be writable back.
 * @param {Record<string, string | undefined>} values
 * @param {{ required?: readonly string[] }} [options] keys that must be set (default REQUIRED_KEYS)
 * @returns {{ key: string, message: string }[]}
 */
export function configProblems(values, { required = REQUIRED_KEYS } = {}) {
  /** @type {{ key: string, message: string }[]} */
  const problems = []
  for (const key of required) {
    if (!values[key]) problems.push({ key, message: 'is required' })
  }
  for (const [key, value] of Object.entries(values)) {
    if (!value) continue
    if (UNWRITABLE.test(value)) {
      problems.push({ key, message: 'must not contain a single quote or a line break' })
      continue
    }
    const rule = Object.hasOwn(configRules, key) ? configRules[key] : undefined
    const message = rule?.(value)
    if (message) problems.push({ key, message })
  }
  return problems
}
