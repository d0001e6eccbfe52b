// config.env in the server's format (server/utils/env-file.ts, which is TypeScript and not shipped
// next to this script): KEY='value' lines; the server's parser reads both.
export const envFile = {
  /** @returns {Record<string, string>} */
  parse(text) {
    const out = {}
    for (const raw of text.split(/\r?\n/)) {
      const match = /^(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(raw.trim())
      if (!match || raw.trim().startsWith('#')) continue
      let value = match[2]
      const quote = value[0]
      if ((quote === '"' || quote === '\'') && value.length >= 2 && value.endsWith(quote)) {
        value = quote === '"' ? value.slice(1, -1).replace(/\\(["\\$`])/g, '$1') : value.slice(1, -1)
      }
      out[match[1]] = value
    }
    return out
  },

  stringify(values) {
    const lines = ['# BackendSide MailPanel configuration (written by the panel; environment variables override it)']
    for (const [key, value] of Object.entries(values)) {
      if (value.includes('\'') || /[\r\n]/.test(value)) throw new Error(`config value for ${key} contains a quote or newline`)
      lines.push(`${key}='${value}'`)
    }
    return `${lines.join('\n')}\n`
  },
}
