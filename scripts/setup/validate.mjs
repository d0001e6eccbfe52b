// Values that end up in file paths, certificate subjects, pg_hba.conf and SQL identifiers.

const MAX_HOSTNAME_LENGTH = 253
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const DB_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/** Bad input or a machine state the installer will not paper over: reported before anything changes. */
export class SetupError extends Error {}

export const validate = {
  /** A DNS name: letters, digits and inner hyphens per label, dots between labels; nothing a path or shell could misread. */
  hostname(value) {
    const name = String(value ?? '').toLowerCase()
    if (!name || name.length > MAX_HOSTNAME_LENGTH || !name.split('.').every(label => LABEL.test(label))) {
      throw new SetupError(`--hostname must be a DNS name such as mail.example.com (letters, digits, hyphens and single dots), got ${JSON.stringify(String(value ?? ''))}`)
    }
    return name
  },

  /** A PostgreSQL role or database name that needs no quoting anywhere (pg_hba.conf included). */
  dbIdentifier(option, value) {
    if (!DB_IDENTIFIER.test(String(value ?? ''))) {
      throw new SetupError(`${option} must match ${DB_IDENTIFIER.source} (lower-case letters, digits, underscores; at most 63), got ${JSON.stringify(String(value ?? ''))}`)
    }
    return String(value)
  },
}
