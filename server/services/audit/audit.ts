import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { useConfig } from '#server/utils/config'
import type { AuditEntry } from '#shared/types/access'

export interface AuditFilter {
  actor?: string
  action?: string
  since?: Date
}

let folderReady: Promise<unknown> | undefined

export const audit = {
  /**
   * Appends one JSON line. Each line is a single write on an O_APPEND descriptor, which the kernel
   * positions atomically, so concurrent requests (or processes) never interleave lines.
   */
  async append(entry: AuditEntry): Promise<void> {
    const path = useConfig().paths.auditLog
    folderReady ??= mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await folderReady
    await appendFile(path, `${JSON.stringify(entry)}\n`, { flag: 'a', mode: 0o600 })
  },

  /** Entries newest first, filtered. Reads the whole file: logrotate keeps it to a bounded size. */
  async read(filter: AuditFilter): Promise<AuditEntry[]> {
    let text: string
    try {
      text = await readFile(useConfig().paths.auditLog, 'utf8')
    }
    catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const since = filter.since?.getTime()
    const out: AuditEntry[] = []
    for (const line of text.split('\n').reverse()) {
      if (!line) continue
      let entry: AuditEntry
      try {
        entry = JSON.parse(line) as AuditEntry
      }
      catch {
        continue // a torn line from a crash: skip it rather than fail the whole listing
      }
      if (filter.actor && entry.actor !== filter.actor) continue
      if (filter.action && !entry.action.includes(filter.action)) continue
      if (since !== undefined && Date.parse(entry.time) < since) continue
      out.push(entry)
    }
    return out
  },
}
