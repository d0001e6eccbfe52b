// Values that end up in file paths, certificate subjects, pg_hba.conf and SQL identifiers.
// config.env's own rules (MAIL_HOSTNAME among them) live in lib/config-rules.mjs, shared with the server.
import { configProblems, configRules } from '../../lib/config-rules.mjs'

const DB_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/** Bad input or a machine state the installer will not paper over: reported before anything changes. */
export class SetupError extends Error {}

export const validate = {
  /** A DNS name: letters, digits and inner hyphens per label, dots between labels; nothing a path or shell could misread. */
  hostname(value) {
    const name = String(value ?? '').toLowerCase()
    const problem = configRules.MAIL_HOSTNAME(name)
    if (problem) throw new SetupError(`--hostname ${problem}, got ${JSON.stringify(String(value ?? ''))}`)
    return name
  },

  /**
   * The config.env the installer is about to write, with the server's start-up rules: a file the
   * panel would refuse to start with is reported (and not written) instead.
   * @param {string} file the path, for the message
   * @param {Record<string, string>} values
   */
  configValues(file, values) {
    const problems = configProblems(values)
    if (problems.length) {
      throw new SetupError(`${file}: ${problems.map(p => `${p.key} ${p.message}`).join('; ')}; fix or remove the line and run setup again`)
    }
    return values
  },

  /** A PostgreSQL role or database name that needs no quoting anywhere (pg_hba.conf included). */
  dbIdentifier(option, value) {
    if (!DB_IDENTIFIER.test(String(value ?? ''))) {
      throw new SetupError(`${option} must match ${DB_IDENTIFIER.source} (lower-case letters, digits, underscores; at most 63), got ${JSON.stringify(String(value ?? ''))}`)
    }
    return String(value)
  },
}
