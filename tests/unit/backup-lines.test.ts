import { describe, expect, it } from 'vitest'
import { BACKUP_TABLE_NAMES } from '#shared/schemas/backup'
import { ArchiveReader, ArchiveWriter } from '#server/services/backup/backup-lines'
import { ApiError } from '#server/utils/errors'
import { CONFIG, T, tables, VERSIONS } from '../support/backup-fixture'

type Tables = ReturnType<typeof tables>

// The version 1 fixture may lack this table (archives older than the mail stack settings); a streamed archive always has it.
const MAILSTACK = { id: true, smtp_listen: '25', submission_listen: '587', submission_plain_listen: null, imap_listen: '*, ::', imap_port: 143, imaps_port: 993,
  inet_interfaces: 'all', inet_protocols: 'all', auth_failure_delay: 2, greylist_listen: '127.0.0.1:10023', clamsmtp_listen: '127.0.0.1:10025',
  reinject_listen: '127.0.0.1:10026', spampd_listen: '127.0.0.1:10027', updated_at: T }

/** The lines ArchiveWriter writes for the fixture (or a changed copy), without their `\n`. */
function archiveLines(change: (t: Tables) => void = () => {}, files: Record<string, string> = { 'config.env': CONFIG }): string[] {
  const t = { ...tables(), mailstack_settings: [MAILSTACK] } as Tables
  change(t)
  const w = new ArchiveWriter()
  const out = [w.header(new Date(T.slice(0, 19) + 'Z'), VERSIONS)]
  for (const name of BACKUP_TABLE_NAMES) {
    out.push(w.startTable(name))
    out.push(...w.rows((t[name] ?? []).map(row => JSON.stringify(row))).split('\n').filter(Boolean))
  }
  for (const [name, content] of Object.entries(files)) out.push(w.file(name as 'config.env', content))
  out.push(w.audit('{"action":"GET /api/v1/me"}'))
  out.push(w.end())
  return out.map(l => l.replace(/\n$/, ''))
}

/** Reads every line; the first refusal, or undefined when the archive is accepted. */
function refusal(lines: string[]): ApiError | undefined {
  const reader = new ArchiveReader(VERSIONS)
  try {
    for (const line of lines) reader.read(Buffer.from(line))
    reader.finish()
  }
  catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  return undefined
}

describe('streamed archive lines', () => {
  it('round-trips: every row, the files and the counts come back from what the writer wrote', () => {
    const reader = new ArchiveReader(VERSIONS)
    const entries = archiveLines().map(line => reader.read(Buffer.from(line)))
    reader.finish()
    expect(entries.filter(e => e.kind === 'row')).toHaveLength(Object.values(tables()).flat().length + 1)
    expect(entries.at(-1)).toMatchObject({ kind: 'end', files: { 'config.env': CONFIG }, auditLines: 1, counts: { domains: 2, mailboxes: 1, aliases: 2 } })
  })

  it('refuses a changed byte (checksum), a dropped row (counts) and a cut-off archive', () => {
    const lines = archiveLines()
    const tampered = lines.map(l => l.replace('"jane.doe"', '"evil"'))
    expect(refusal(tampered)?.detail).toMatch(/sha256: does not match/)
    const rowIndex = lines.findIndex(l => l.includes('"jane.doe"') && l.includes('"password"'))
    expect(refusal(lines.filter((_, i) => i !== rowIndex))?.detail).toMatch(/sha256|counts\.mailboxes/)
    expect(refusal(lines.slice(0, -1))?.detail).toMatch(/truncated/)
    expect(refusal([...lines, lines[1]!])?.detail).toMatch(/after its end line/)
  })

  it('refuses tables out of order or missing, and a settings table without exactly one row', () => {
    const lines = archiveLines()
    const domains = lines.indexOf('{"table":"domains"}')
    const mailboxes = lines.indexOf('{"table":"mailboxes"}')
    const swapped = [...lines]
    swapped[domains] = '{"table":"mailboxes"}'
    swapped[mailboxes] = '{"table":"domains"}'
    expect(refusal(swapped)?.detail).toMatch(/order/)
    expect(refusal(lines.filter(l => l !== '{"table":"dkim_keys"}' && !l.includes('"selector"')))?.detail).toMatch(/lacks table dkim_keys|order/)
    expect(refusal(archiveLines(t => t.server_settings.push({ ...t.server_settings[0]! })))?.detail).toMatch(/tables\.server_settings: must hold exactly one row/)
  })

  it('names the table, row and field of a value the API would refuse, never the value', () => {
    const err = refusal(archiveLines(t => (t.mailboxes[0]!.password = 'plaintext-secret')))
    expect(err?.code).toBe('VALIDATION_FAILED')
    expect(err?.detail).toMatch(/tables\.mailboxes\.0\.password/)
    expect(err?.detail).not.toContain('plaintext-secret')
    expect(refusal(archiveLines(t => (t.aliases[1]!.domain_id = 99)))?.detail).toMatch(/tables\.aliases\.1\.domain_id: domain 99 is not among/)
    expect(refusal(archiveLines(t => Object.assign(t.domains[0]!, { extra: 1 })))?.detail).toMatch(/tables\.domains\.0\.extra: is not a column/)
  })

  it('checks the header (ours, its version, this schema) and the files at the end', () => {
    const lines = archiveLines()
    expect(refusal(['{"hello":"world"}'])?.detail).toMatch(/not a backendside-mailpanel-backup archive/)
    expect(refusal([lines[0]!.replace('"version":2', '"version":3'), ...lines.slice(1)])).toMatchObject({ code: 'BACKUP_INCOMPATIBLE' })
    expect(refusal([lines[0]!.replace('0003_security', '0004_other'), ...lines.slice(1)])).toMatchObject({ code: 'BACKUP_INCOMPATIBLE' })
    expect(refusal(archiveLines(() => {}, {}))?.detail).toMatch(/files\.config\.env: is missing/)
    expect(refusal(archiveLines(() => {}, { 'config.env': 'PORT=99999\n' }))?.detail).toMatch(/PORT/)
    expect(refusal(archiveLines(() => {}, { 'config.env': CONFIG, 'passwd': 'x' }))?.detail).toMatch(/files\.passwd: is not a file a backup holds/)
    expect(refusal([lines[0]!, '[1,2]'])?.detail).toMatch(/not a JSON object/)
    expect(refusal([lines[0]!, '{"a":'])?.detail).toMatch(/not valid JSON/)
  })
})
