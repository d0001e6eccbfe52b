// config.env, read and written by the installer and the server alike: KEY=VALUE lines, `#` comments,
// optional single or double quotes; written single-quoted so `$` in bcrypt hashes survives shells and
// systemd's EnvironmentFile alike.
import { stageFile, writeFileAtomic } from './write-atomic.mjs'

const CONFIG_MODE = 0o600

export const envFile = {
  /**
   * @param {string} text
   * @returns {Record<string, string>}
   */
  parse(text) {
    /** @type {Record<string, string>} */
    const out = {}
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim()
      if (!line || line.startsWith('#')) continue
      const match = /^(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(line)
      if (!match) continue
      let value = match[2]
      const quote = value[0]
      if ((quote === '"' || quote === '\'') && value.length >= 2 && value.endsWith(quote)) {
        value = value.slice(1, -1)
        if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1')
      }
      out[match[1]] = value
    }
    return out
  },

  /**
   * @param {Record<string, string | undefined>} values undefined values are left out
   * @returns {string}
   */
  stringify(values) {
    const lines = ['# BackendSide MailPanel configuration (written by the panel; environment variables override it)']
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue
      if (value.includes('\'') || /[\r\n]/.test(value)) throw new Error(`config value for ${key} contains a quote or newline`)
      lines.push(`${key}='${value}'`)
    }
    return `${lines.join('\n')}\n`
  },

  /**
   * Atomic replace with mode 0600 (the file holds JWT_SECRET and DATABASE_URL).
   * @param {string} path
   * @param {string} content
   */
  writeAtomic(path, content) {
    writeFileAtomic(path, content, { mode: CONFIG_MODE })
  },

  /**
   * The same write in two steps (lib/write-atomic.mjs stageFile): flushed to a temp file now, renamed
   * into place by `commit()`.
   * @param {string} path
   * @param {string} content
   */
  stage(path, content) {
    return stageFile(path, content, { mode: CONFIG_MODE })
  },
}
