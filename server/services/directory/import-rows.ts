import * as v from 'valibot'
import { mailboxImportRowSchema } from '#shared/schemas/mailbox-import'
import type { ImportError, ImportReport } from '#shared/types/mailbox-import'

/**
 * The rows of a mailbox import, checked one record at a time (pure: no database, no stream): the
 * header maps the columns, each data row is converted from CSV text to the API's input and
 * validated by mailboxImportRowSchema, an address that repeats in the file is refused. Problems are
 * kept as the first MAX_ERRORS in line order. What needs the database (do the domains exist, is an
 * address taken) comes after, through `refuse`.
 */
const MAX_ERRORS = 100

const COLUMNS = ['address', 'domain', 'username', 'password', 'password_hash', 'name', 'quota_mb', 'active'] as const
type Column = (typeof COLUMNS)[number]
const COLUMN_LIST = 'address (or domain and username), password or password_hash, and optionally name, quota_mb, active'

/** A row that passed validation; `password` is dropped once hashed. */
export interface PendingRow {
  line: number
  domain: string
  username: string
  password?: string
  passwordHash?: string
  name: string
  quotaMb: number | null
  active: boolean
}

/** The first MAX_ERRORS problems in line order, without holding every problem of a bad file. */
class ErrorList {
  private list: ImportError[] = []
  truncated = false

  add(line: number, column: string, message: string): void {
    this.list.push({ line, column, message })
    if (this.list.length > MAX_ERRORS * 4) this.compact()
  }

  done(): ImportError[] {
    this.compact()
    return this.list
  }

  private compact(): void {
    this.list.sort((a, b) => a.line - b.line)
    if (this.list.length > MAX_ERRORS) {
      this.list.length = MAX_ERRORS
      this.truncated = true
    }
  }
}

/** Header names → their positions; problems with the header are line 1's errors. */
function readHeader(fields: string[], line: number, errors: ErrorList): Map<Column, number> | undefined {
  const columns = new Map<Column, number>()
  let ok = true
  fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase()
    if (!(COLUMNS as readonly string[]).includes(name)) {
      errors.add(line, name, `is not a column of a mailbox import (the columns: ${COLUMN_LIST})`)
      ok = false
    }
    else if (columns.has(name as Column)) {
      errors.add(line, name, 'appears twice in the header')
      ok = false
    }
    else columns.set(name as Column, i)
  })
  const byAddress = columns.has('address')
  if (byAddress && (columns.has('domain') || columns.has('username'))) {
    errors.add(line, 'address', 'give either an address column or domain and username columns, not both')
    ok = false
  }
  if (!byAddress && !(columns.has('domain') && columns.has('username'))) {
    errors.add(line, 'address', 'the header needs an address column (or domain and username columns)')
    ok = false
  }
  if (!columns.has('password') && !columns.has('password_hash')) {
    errors.add(line, 'password', 'the header needs a password or a password_hash column')
    ok = false
  }
  return ok ? columns : undefined
}

const TRUE_WORDS = new Set(['true', 'yes', '1'])
const FALSE_WORDS = new Set(['false', 'no', '0'])

/** CSV text → the schema's input: empty cells are absent, numbers and booleans as the JSON API takes them. */
function rowInput(fields: string[], columns: Map<Column, number>): Record<string, unknown> {
  const cell = (c: Column) => (columns.has(c) ? fields[columns.get(c)!]! : undefined)
  const input: Record<string, unknown> = {}
  const address = cell('address')
  if (address !== undefined) {
    const at = address.lastIndexOf('@')
    input.username = at === -1 ? address : address.slice(0, at)
    input.domain = at === -1 ? '' : address.slice(at + 1)
  }
  else {
    input.username = cell('username')
    input.domain = cell('domain')
  }
  // Passwords are taken byte for byte: a space is part of a password.
  const password = cell('password')
  if (password) input.password = password
  const hash = cell('password_hash')?.trim()
  if (hash) input.password_hash = hash
  const name = cell('name')
  if (name !== undefined) input.name = name
  const quota = cell('quota_mb')?.trim()
  if (quota) input.quota_mb = /^-?\d{1,12}$/.test(quota) ? Number(quota) : quota
  const active = cell('active')?.trim().toLowerCase()
  if (active) input.active = TRUE_WORDS.has(active) ? true : FALSE_WORDS.has(active) ? false : active
  return input
}

/** valibot's generic wording ("Invalid type: …") never reaches a person; the schemas' own messages do. */
function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (!/^Invalid \w+: /.test(issue.message)) return issue.message
  return issue.type === 'boolean' ? 'must be true or false (or yes/no, 1/0)' : 'is not valid'
}

/** One data row → a pending row, or its problems (one per column). */
function checkRow(fields: string[], line: number, columns: Map<Column, number>, errors: ErrorList): PendingRow | undefined {
  if (fields.length !== columns.size) {
    errors.add(line, '', `has ${fields.length} fields; the header has ${columns.size}`)
    return undefined
  }
  const nul = [...columns].find(([, i]) => fields[i]!.includes('\0'))
  if (nul) {
    errors.add(line, nul[0], 'must not contain NUL characters')
    return undefined
  }
  const byAddress = columns.has('address')
  const columnOf = (key: string) => ((key === 'username' || key === 'domain') && byAddress ? 'address' : key)
  const result = v.safeParse(mailboxImportRowSchema, rowInput(fields, columns))
  if (!result.success) {
    // One problem per column, in the file's column order.
    const found = new Map<string, string>()
    for (const issue of result.issues) {
      const column = columnOf(v.getDotPath(issue) ?? '')
      if (!found.has(column)) found.set(column, column === 'address' && issue.path?.[0]?.key === 'domain' ? `the part after @ ${issueMessage(issue)}` : issueMessage(issue))
    }
    const position = (column: string) => columns.get(column as Column) ?? -1
    for (const [column, message] of [...found].sort((a, b) => position(a[0]) - position(b[0]))) errors.add(line, column, message)
    return undefined
  }
  const row = result.output
  let username = row.username
  const at = username.indexOf('@')
  if (at !== -1) {
    // `jane@example.com` in a username column: the part after @ must be the row's domain, as for POST /mailboxes.
    if (username.slice(at + 1) !== row.domain) {
      errors.add(line, 'username', `the address must be in ${row.domain} (the row's domain)`)
      return undefined
    }
    username = username.slice(0, at)
  }
  return {
    line,
    domain: row.domain,
    username,
    password: row.password,
    passwordHash: row.password_hash,
    name: row.name ?? '',
    quotaMb: row.quota_mb ?? null,
    active: row.active ?? true,
  }
}

/** Feed it records in file order (`record`, or `unreadable` for one the CSV reader refused); read the outcome with `report`. */
export class ImportRows {
  /** The valid rows so far. */
  rows: PendingRow[] = []
  private readonly errors = new ErrorList()
  private readonly firstLine = new Map<string, number>()
  private columns: Map<Column, number> | undefined
  private headerSeen = false
  private count = 0
  private invalid = 0

  constructor(private readonly maxRows: number) {}

  /** The column an address problem belongs to: `address`, or `domain` / `username` when the file has those. */
  addressColumn(part: 'domain' | 'username'): string {
    return this.columns?.has('address') ? 'address' : part
  }

  record(fields: string[], line: number): void {
    if (!this.headerSeen) {
      this.headerSeen = true
      this.columns = readHeader(fields, line, this.errors)
      return
    }
    this.count++
    // A bad header: the rows are only counted, none can be read.
    if (!this.columns) return void this.invalid++
    if (this.count > this.maxRows) {
      if (this.count === this.maxRows + 1) this.errors.add(line, '', `the file has more than ${this.maxRows} rows; split it into several imports`)
      return void this.invalid++
    }
    const row = checkRow(fields, line, this.columns, this.errors)
    if (!row) return void this.invalid++
    const address = `${row.username}@${row.domain}`
    const earlier = this.firstLine.get(address)
    if (earlier !== undefined) {
      this.errors.add(line, this.addressColumn('username'), `${address} is already on line ${earlier}`)
      return void this.invalid++
    }
    this.firstLine.set(address, line)
    this.rows.push(row)
  }

  /** A record the CSV reader could not read (bad quoting): a row with a problem, or the header. */
  unreadable(line: number, message: string): void {
    this.errors.add(line, '', message)
    if (this.headerSeen) this.count++
    this.headerSeen = true
    this.invalid++
  }

  /** Drops the valid rows `problem` names a problem for (a check that needed the database). */
  refuse(problem: (row: PendingRow) => { column: string, message: string } | undefined): void {
    const kept = this.rows.filter((row) => {
      const found = problem(row)
      if (found) this.errors.add(row.line, found.column, found.message)
      return !found
    })
    this.invalid += this.rows.length - kept.length
    this.rows = kept
  }

  report(): ImportReport {
    if (!this.headerSeen) this.errors.add(1, '', `the file is empty; the first line must be a header naming the columns: ${COLUMN_LIST}`)
    const errors = this.errors.done()
    return { rows: this.count, valid: this.rows.length, invalid: this.invalid, errors, errors_truncated: this.errors.truncated }
  }
}
