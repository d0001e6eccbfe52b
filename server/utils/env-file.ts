import { writeFileAtomic } from './write-atomic'

/** `config.env` reader/writer: KEY=VALUE lines, `#` comments, optional single or double quotes. */
export const envFile = {
  parse(text: string): Record<string, string> {
    const out: Record<string, string> = {}
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim()
      if (!line || line.startsWith('#')) continue
      const match = /^(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(line)
      if (!match) continue
      let value = match[2]!
      const quote = value[0]
      if ((quote === '"' || quote === '\'') && value.endsWith(quote) && value.length >= 2) {
        value = value.slice(1, -1)
        if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1')
      }
      out[match[1]!] = value
    }
    return out
  },

  /** Single-quotes every value so `$` in bcrypt hashes survives shells and systemd alike. */
  stringify(values: Record<string, string | undefined>): string {
    const lines = ['# BackendSide MailPanel configuration (written by the panel; environment variables override it)']
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue
      if (value.includes('\'') || /[\r\n]/.test(value)) throw new Error(`config value for ${key} contains a quote or newline`)
      lines.push(`${key}='${value}'`)
    }
    return `${lines.join('\n')}\n`
  },

  /** Atomic replace: write a temp file in the same folder, fsync, chmod 0600, rename over. */
  writeAtomic(path: string, content: string): void {
    writeFileAtomic(path, content, 0o600)
  },
}
