import { describe, expect, it } from 'vitest'
import { ImportRows } from '#server/services/directory/import-rows'

const HASH = `{BLF-CRYPT}$2y$10$${'a'.repeat(53)}`

function check(records: string[][], maxRows = 10): ImportRows {
  const rows = new ImportRows(maxRows)
  records.forEach((fields, i) => rows.record(fields, i + 1))
  return rows
}

describe('ImportRows', () => {
  it('maps CSV text to the create schema: address split, empty cells absent, yes/no and numbers converted', () => {
    const rows = check([
      ['Address', 'PASSWORD', 'password_hash', 'name', 'quota_mb', 'active'],
      ['Jane@Example.com', 'a password!', '', ' Jane ', '', 'no'],
      ['bob@example.com', '', HASH, '', '100', ''],
    ])
    expect(rows.report()).toEqual({ rows: 2, valid: 2, invalid: 0, errors: [], errors_truncated: false })
    expect(rows.rows).toEqual([
      { line: 2, domain: 'example.com', username: 'jane', password: 'a password!', passwordHash: undefined, name: 'Jane', quotaMb: null, active: false },
      { line: 3, domain: 'example.com', username: 'bob', password: undefined, passwordHash: HASH, name: '', quotaMb: 100, active: true },
    ])
  })

  it('takes user@domain in a username column only when it names the row\'s domain', () => {
    const rows = check([['domain', 'username', 'password'], ['example.com', 'ann@example.com', 'long-enough'], ['example.com', 'ann2@other.com', 'long-enough']])
    expect(rows.rows.map(r => r.username)).toEqual(['ann'])
    expect(rows.report().errors).toEqual([{ line: 3, column: 'username', message: 'the address must be in example.com (the row\'s domain)' }])
  })

  it('names one problem per column and never a value', () => {
    const rows = check([['address', 'password', 'quota_mb'], ['x@bad_domain', 'short', '-1']])
    expect(rows.report().errors).toEqual([
      { line: 2, column: 'address', message: expect.stringMatching(/^the part after @ must be a domain name/) },
      { line: 2, column: 'password', message: 'must be at least 8 characters' },
      { line: 2, column: 'quota_mb', message: 'must be at least 0' },
    ])
    expect(check([['address', 'password', 'quota_mb'], ['x@example.com', 'long-enough', 'lots']]).report().errors).toEqual([
      { line: 2, column: 'quota_mb', message: 'must be a number' },
    ])
  })

  it('refuses an address the file already had, and rows past the cap', () => {
    const rows = check([['address', 'password'], ['a@example.com', 'long-enough'], ['A@example.com', 'long-enough'], ['b@example.com', 'long-enough'], ['c@example.com', 'long-enough']], 2)
    const report = rows.report()
    expect(report).toMatchObject({ rows: 4, valid: 1, invalid: 3 })
    expect(report.errors).toEqual([
      { line: 3, column: 'address', message: 'a@example.com is already on line 2' },
      { line: 4, column: '', message: 'the file has more than 2 rows; split it into several imports' },
    ])
  })

  it('keeps the first 100 problems in line order, also when later checks add earlier lines', () => {
    const records = [['address', 'password']]
    for (let i = 0; i < 300; i++) records.push([i % 2 ? `ok${i}@example.com` : `bad ${i}@example.com`, 'long-enough'])
    const rows = check(records, 1000)
    rows.refuse(r => (r.line === 3 ? { column: 'address', message: 'taken' } : undefined))
    const report = rows.report()
    expect(report).toMatchObject({ rows: 300, valid: 149, invalid: 151, errors_truncated: true })
    expect(report.errors).toHaveLength(100)
    expect(report.errors.slice(0, 3).map(e => e.line)).toEqual([2, 3, 4])
  })

  it('reports an empty file and a header without the needed columns on line 1', () => {
    expect(new ImportRows(1).report().errors).toEqual([{ line: 1, column: '', message: expect.stringMatching(/the file is empty/) }])
    expect(check([['name', 'name']]).report().errors.map(e => [e.column, e.message])).toEqual([
      ['name', 'appears twice in the header'],
      ['address', 'the header needs an address column (or domain and username columns)'],
      ['password', 'the header needs a password or a password_hash column'],
    ])
  })
})
