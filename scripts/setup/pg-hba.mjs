// RHEL's initdb leaves loopback TCP on `ident`, which a panel role with no system account cannot pass.
// pg_hba.conf is first-match, so password (md5, which also accepts SCRAM-stored passwords) rules for
// just the panel's database and role go before the distribution's lines; `local … peer` for postgres stays.

const MARKER = '# BackendSide MailPanel: the panel role signs in with its password over loopback'
const LOOPBACK = ['127.0.0.1/32', '::1/128']

const normalise = line => line.trim().split(/\s+/).join(' ')

export const pgHba = {
  /**
   * @param {string} database
   * @param {string} user
   * @returns {string[]} the lines the panel needs
   */
  rules(database, user) {
    return LOOPBACK.map(address => `host    ${database}    ${user}    ${address}    md5`)
  },

  /** @param {string} text @param {string} database @param {string} user @returns {boolean} */
  has(text, database, user) {
    const present = new Set(text.split(/\r?\n/).map(normalise))
    return pgHba.rules(database, user).every(rule => present.has(normalise(rule)))
  },

  /**
   * The file with the panel's rules inserted before its first rule (appended to a file that has none).
   * @param {string} text @param {string} database @param {string} user @returns {string}
   */
  withPanelRules(text, database, user) {
    if (pgHba.has(text, database, user)) return text
    const lines = text.split('\n')
    const first = lines.findIndex(line => line.trim() && !line.trim().startsWith('#'))
    const block = [MARKER, ...pgHba.rules(database, user), '']
    if (first === -1) return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${block.join('\n')}`
    lines.splice(first, 0, ...block)
    return lines.join('\n')
  },
}
