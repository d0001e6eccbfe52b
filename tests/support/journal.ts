import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTools } from '../../scripts/test-tools.mjs'

// A real journal without a running journald: entries in Journal Export Format go through
// systemd-journal-remote into a journal file that journalctl --directory reads like the system's.
const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote'
const BOOT_ID = '0123456789abcdef0123456789abcdef'
const MAIL_FACILITY = 2

export interface JournalEntryInput {
  message: string
  identifier?: string
  pid?: number
  facility?: number
  hostname?: string
  /** The systemd unit that logged it; default Debian's Postfix instance. */
  unit?: string
  priority?: number
  /** Default: now. */
  time?: Date
}

let monotonic = 1_000_000

/** One field; a value with a line break takes the binary form (name, newline, 64-bit LE length, bytes). */
function field(name: string, value: string): Buffer {
  if (!value.includes('\n')) return Buffer.from(`${name}=${value}\n`, 'utf8')
  const data = Buffer.from(value, 'utf8')
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(data.length))
  return Buffer.concat([Buffer.from(`${name}\n`), length, data, Buffer.from('\n')])
}

function exportEntry(e: JournalEntryInput): Buffer {
  const us = BigInt((e.time ?? new Date()).getTime()) * 1000n
  monotonic += 1000
  return Buffer.concat([
    field('__REALTIME_TIMESTAMP', us.toString()),
    field('__MONOTONIC_TIMESTAMP', String(monotonic)),
    field('_BOOT_ID', BOOT_ID),
    field('_HOSTNAME', e.hostname ?? 'mail'),
    field('SYSLOG_FACILITY', String(e.facility ?? MAIL_FACILITY)),
    field('SYSLOG_IDENTIFIER', e.identifier ?? 'postfix/smtpd'),
    field('_PID', String(e.pid ?? 101)),
    field('_SYSTEMD_UNIT', e.unit ?? 'postfix@-.service'),
    field('PRIORITY', String(e.priority ?? 6)),
    field('MESSAGE', e.message),
    Buffer.from('\n'),
  ])
}

/**
 * Appends entries to `<dir>/remote.journal` (created on first use). Asynchronous on purpose: a test
 * blocked in a synchronous child for seconds would miss the server closing an idle keep-alive
 * connection and send its next request into the closed socket.
 */
export async function appendJournal(dir: string, entries: JournalEntryInput[]): Promise<void> {
  requireTools([JOURNAL_REMOTE, 'journalctl'])
  const scratch = mkdtempSync(join(tmpdir(), 'journal-export-'))
  try {
    const file = join(scratch, 'entries.export')
    writeFileSync(file, Buffer.concat(entries.map(exportEntry)))
    await new Promise<void>((resolve, reject) => {
      execFile(JOURNAL_REMOTE, [`--output=${join(dir, 'remote.journal')}`, file], (err, _stdout, stderr) => {
        if (err) reject(new Error(`systemd-journal-remote failed (${err.code}): ${stderr}`))
        else resolve()
      })
    })
  }
  finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
