import type { MailSession } from '#shared/types/sessions'

/**
 * Pure: `doveadm -f tab who -1` (one line per connection, a header naming the columns) → sessions
 * grouped by user, protocol and address. The header decides which column is which, so Dovecot 2.3
 * (`username proto pid ip`) and 2.4 (`username service pid ip …`) read alike.
 */

const USER_COLUMNS = ['username', 'user']
const PROTOCOL_COLUMNS = ['proto', 'service', 'protocol']
const PID_COLUMNS = ['pid']
const IP_COLUMNS = ['ip', 'remote_ip', 'rip']

export function parseWho(stdout: string): MailSession[] {
  const [header, ...rows] = stdout.split('\n').filter(line => line.trim() !== '')
  if (!header) return []
  const names = header.split('\t').map(name => name.trim().toLowerCase())
  const column = (candidates: string[]) => names.findIndex(name => candidates.includes(name))
  const user = column(USER_COLUMNS)
  const protocol = column(PROTOCOL_COLUMNS)
  const pid = column(PID_COLUMNS)
  const ip = column(IP_COLUMNS)
  if (user < 0) return []
  const sessions = new Map<string, MailSession>()
  for (const row of rows) {
    const cells = row.split('\t')
    const session = {
      user: cells[user]?.trim() ?? '',
      protocol: protocol < 0 ? '' : cells[protocol]?.trim() ?? '',
      remote_ip: ip < 0 ? '' : cells[ip]?.trim() ?? '',
    }
    if (!session.user) continue
    const key = `${session.user}\t${session.protocol}\t${session.remote_ip}`
    let entry = sessions.get(key)
    if (!entry) {
      entry = { ...session, connections: 0, pids: [] }
      sessions.set(key, entry)
    }
    entry.connections++
    const n = pid < 0 ? Number.NaN : Number(cells[pid]?.trim())
    if (Number.isInteger(n) && n > 0 && !entry.pids.includes(n)) entry.pids.push(n)
  }
  return [...sessions.values()].sort((a, b) => a.user.localeCompare(b.user) || a.protocol.localeCompare(b.protocol) || a.remote_ip.localeCompare(b.remote_ip))
}

// Dovecot 2.3 prints the kicked users before this heading (its formatter flushes them first), 2.4 after it.
const KICKED_HEADINGS = /(?:kicked connections from the following users|warning: other connections would also be kicked from following users):?/gi

/** The users `doveadm kick` names around its "kicked connections from the following users:" heading (none for "no users kicked"). */
export function parseKicked(stdout: string): string[] {
  if (!stdout.match(KICKED_HEADINGS)) return []
  return stdout.replace(KICKED_HEADINGS, ' ').split(/\s+/).filter(Boolean)
}
