import { StringDecoder } from 'node:string_decoder'
import { mailstatsDb, type MaillogBatch } from '#server/db/queries/mailstats'
import { journalLine, type JournalEntry } from '#server/services/logs/parse'
import { MaillogCollector } from '#server/services/maillog/maillog'
import { runCommand } from '#server/utils/command'
import type { PassResult } from './collector'

/**
 * The stats collector on the journal (MAILLOG_SOURCE=journald): `journalctl SYSLOG_FACILITY=2 -o json`
 * from the saved cursor, each entry turned back into the syslog line Postfix would have written to a
 * file (RFC 3339 stamp, host, `postfix/smtpd[pid]: …`) and counted by the same parser. A batch is at
 * most JOURNAL_BATCH_ENTRIES entries, stored with the cursor of its last entry in one transaction, so a
 * restart never counts an entry twice; journalctl is stopped once a batch is full and asked again from
 * that cursor.
 */

export const JOURNAL_BATCH_ENTRIES = 50_000
const JOURNAL_TIMEOUT_MS = 120_000
// journalctl's own complaints (stderr); its stdout is streamed, never held.
const JOURNAL_STDERR_BYTES = 64 * 1024
// Lines handed to the parser together: one Buffer per this many entries, not one per entry.
const LINES_PER_PUSH = 1000
const MAIL_FACILITY = 2

/** Entries the journal gives per line of JSON (the fields asked for; __CURSOR and __REALTIME_TIMESTAMP always come). */
export interface MailJournalEntry extends JournalEntry {
  __CURSOR?: string
  _HOSTNAME?: string
}

/** The cursor row's key: the system journal, or the directory MAILLOG_JOURNAL_DIR names. */
export const journalKey = (dir?: string): string => `journal:${dir ?? 'system'}`

/** Where to start: after the saved cursor, else as far back as the statistics are kept. */
export function journalArgv(cursor: string | null, dir: string | undefined, retentionDays: number): [string, ...string[]] {
  return [
    'journalctl', '--no-pager', '--quiet', '--output=json', '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,_PID,_HOSTNAME',
    ...(dir ? ['--directory', dir] : []),
    ...(cursor ? ['--after-cursor', cursor] : [`--since=-${retentionDays}d`]),
    `SYSLOG_FACILITY=${MAIL_FACILITY}`,
  ]
}

/**
 * One entry as the line Postfix writes to its own log file, or null without a time. Line breaks in
 * the message become spaces: one entry is one line, as in the file.
 */
export function entryLine(entry: MailJournalEntry): string | null {
  const { time, text } = journalLine(entry)
  if (!time) return null
  const host = entry._HOSTNAME && !/\s/.test(entry._HOSTNAME) ? entry._HOSTNAME : 'localhost'
  return `${time} ${host} ${text.replace(/[\r\n]+/g, ' ')}`
}

class BatchFull extends Error {}

/** One batch from `cursor`: what it counted, and whether journalctl had more to give. */
async function readBatch(cursor: string | null, dir: string | undefined, retentionDays: number): Promise<{ batch?: MaillogBatch, full: boolean }> {
  const collector = new MaillogCollector()
  const decoder = new StringDecoder('utf8')
  const lines: string[] = []
  let partial = ''
  let entries = 0
  let last: string | undefined
  const flush = () => {
    if (!lines.length) return
    collector.push(Buffer.from(`${lines.join('\n')}\n`, 'utf8'))
    lines.length = 0
  }
  const onStdout = (chunk: Buffer) => {
    const parts = (partial + decoder.write(chunk)).split('\n')
    partial = parts.pop()!
    for (const part of parts) {
      if (!part) continue
      let entry: MailJournalEntry
      try {
        entry = JSON.parse(part) as MailJournalEntry
      }
      catch {
        continue // not an entry: journalctl prints nothing else with --quiet, but never trust that
      }
      const line = entryLine(entry)
      if (line !== null) lines.push(line)
      if (entry.__CURSOR) last = entry.__CURSOR
      entries++
      if (lines.length >= LINES_PER_PUSH) flush()
      if (entries >= JOURNAL_BATCH_ENTRIES) throw new BatchFull()
    }
  }
  let full = false
  try {
    const result = await runCommand(journalArgv(cursor, dir, retentionDays), { timeoutMs: JOURNAL_TIMEOUT_MS, maxBytes: JOURNAL_STDERR_BYTES, onStdout })
    if (result.code !== 0) throw new Error(`journalctl exited with ${result.code}: ${result.stderr.trim().slice(0, 500)}`)
  }
  catch (err) {
    if (!(err instanceof BatchFull)) throw err
    full = true
  }
  flush()
  if (last === undefined) return { full: false }
  return {
    full,
    batch: {
      minutes: collector.counters.takeMinutes(),
      senders: collector.counters.takeHourlySenders(),
      cursor: { inode: 0, byteOffset: 0, journalCursor: last, lines: collector.counters.lines },
    },
  }
}

/** Counts what the journal holds past the saved cursor; returns once journalctl has nothing more. */
export async function collectJournal(dir: string | undefined, retentionDays: number): Promise<PassResult> {
  const key = journalKey(dir)
  let lines = 0
  for (;;) {
    const more = await mailstatsDb.pass(key, async (cursor) => {
      const { batch, full } = await readBatch(cursor?.journalCursor ?? null, dir, retentionDays)
      if (batch) lines += batch.cursor.lines
      return { batch, result: full }
    })
    if (!more) return { lines, missing: false }
  }
}
