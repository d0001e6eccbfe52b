import { existsSync } from 'node:fs'
import { mailstackContext, MailstackContextError } from '#server/mailstack/context'
import { CommandMissingError, CommandTimeoutError, runCommand } from '#server/utils/command'
import { useConfig } from '#server/utils/config'
import { apiErrors, scrubSecrets } from '#server/utils/errors'
import type { LogsQuery, LogService } from '#shared/schemas/logs'
import type { LogLine, LogsResponse } from '#shared/types/logs'
import { journalLine, literalMatcher, parseLogLine, type JournalEntry } from './parse'
import { tailFile } from './tail'

/**
 * GET /api/v1/logs: the newest lines of Postfix's or Dovecot's log. The source is the log file the
 * panel's rendered configuration names (main.cf `maillog_file`, dovecot.conf `log_path`) whenever it
 * exists, else the daemon's systemd units in the journal. Bounds: the file is read backwards in
 * blocks (tail.ts); from the journal at most `lines` entries are asked for, or with a filter the
 * newest JOURNAL_SCAN_ENTRIES, filtered here (never journalctl's --grep, a regular expression).
 */

/** With `q`, this many of the newest journal entries are searched. */
export const JOURNAL_SCAN_ENTRIES = 10_000
const JOURNAL_TIMEOUT_MS = 15_000
const JOURNAL_MAX_BYTES = 32 * 1024 * 1024
const MAX_DETAIL = 300

/** Debian runs Postfix as the instance postfix@-, RHEL as postfix; Dovecot is dovecot on both. */
const UNITS: Record<LogService, string[]> = {
  postfix: ['postfix.service', 'postfix@-.service'],
  dovecot: ['dovecot.service'],
}
const JOURNALCTL_PACKAGES = { debian: 'systemd', rhel: 'systemd' }

/** The log file this machine's rendered configuration names, or null when the panel does not manage the stack. */
function configuredFile(service: LogService): string | null {
  try {
    const ctx = mailstackContext.build(useConfig())
    // An empty maillog_file (MAILLOG_SOURCE=journald): Postfix logs to the journal.
    return service === 'postfix' ? ctx.postfix.maillog_file || null : ctx.dovecot.log_path
  }
  catch (err) {
    if (err instanceof MailstackContextError) return null
    throw err
  }
}

/** What a read of any log takes: how many lines, and the literal filter. */
export type TailQuery = Pick<LogsQuery, 'lines' | 'q'>
type TailRead = Pick<LogsResponse, 'data' | 'truncated'>

/** The newest lines of a log file (bounded: tail.ts), each with its time and level. Shared with the webmail companion's log. */
export async function fromFile(path: string, query: TailQuery): Promise<TailRead> {
  try {
    const { lines, truncated } = await tailFile(path, query.lines, literalMatcher(query.q))
    const now = new Date()
    return { data: lines.map(line => parseLogLine(line, now)), truncated }
  }
  catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Rotated away between the check and the read: nothing logged since.
    if (code === 'ENOENT') return { data: [], truncated: false }
    if (code === 'EACCES') throw apiErrors.unavailable(`The panel may not read ${path}: give its user read access (e.g. the adm group).`)
    throw err
  }
}

function parseJournal(stdout: string): LogLine[] {
  const out: LogLine[] = []
  for (const line of stdout.split('\n')) {
    if (!line) continue
    try {
      out.push(journalLine(JSON.parse(line) as JournalEntry))
    }
    catch { /* not an entry (journalctl's own notice) */ }
  }
  return out
}

/** The newest entries of systemd units in the journal (bounded: JOURNAL_SCAN_ENTRIES, a timeout, an output cap). */
export async function fromJournal(units: string[], query: TailQuery, dir?: string): Promise<TailRead> {
  const entries = query.q ? JOURNAL_SCAN_ENTRIES : query.lines
  const argv: [string, ...string[]] = ['journalctl', '--no-pager', '--quiet', '--output=json',
    '--output-fields=MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_PID',
    // The journal the stats collector reads too, when MAILLOG_JOURNAL_DIR names one.
    ...(dir ? ['--directory', dir] : []), ...units.flatMap(u => ['--unit', u]), '--lines', String(entries)]
  let result
  try {
    result = await runCommand(argv, { timeoutMs: JOURNAL_TIMEOUT_MS, maxBytes: JOURNAL_MAX_BYTES })
  }
  catch (err) {
    if (err instanceof CommandMissingError) throw apiErrors.capabilityMissing('journalctl', JOURNALCTL_PACKAGES)
    if (err instanceof CommandTimeoutError) throw apiErrors.unavailable('journalctl did not answer in time; try fewer lines.')
    throw err
  }
  if (result.code !== 0) {
    const why = scrubSecrets(result.stderr.trim().split('\n')[0] ?? '').slice(0, MAX_DETAIL)
    throw apiErrors.unavailable(`journalctl could not read the journal${why ? `: ${why}` : ''}.`)
  }
  const all = parseJournal(result.stdout)
  const match = literalMatcher(query.q)
  const matching = query.q ? all.filter(l => match(l.text)) : all
  // Fewer matches than asked for although the scan was full: older entries went unsearched.
  return { data: matching.slice(-query.lines), truncated: query.q !== '' && matching.length < query.lines && all.length >= entries }
}

export const logs = {
  /** The newest `lines` lines of the service's log (those containing `q`, when given), oldest first. */
  async read(query: LogsQuery): Promise<LogsResponse> {
    const file = configuredFile(query.service)
    const useFile = file !== null && existsSync(file)
    const read = useFile ? await fromFile(file, query) : await fromJournal(UNITS[query.service], query, useConfig().maillogJournalDir)
    return { service: query.service, source: useFile ? 'file' : 'journald', file: useFile ? file : null, lines: query.lines, q: query.q, ...read }
  },
}
