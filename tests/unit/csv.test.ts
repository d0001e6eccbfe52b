import { describe, expect, it } from 'vitest'
import { CsvError, CsvReader } from '#server/utils/csv'

/** Feeds `text` line by line as readLines would (split at \n, the \n removed); returns the records. */
function parse(text: string, max = 1000): { line: number, fields: string[] }[] {
  const reader = new CsvReader(max)
  const out: { line: number, fields: string[] }[] = []
  text.split('\n').forEach((line, i) => {
    const record = reader.push(line, i + 1)
    if (record) out.push(record)
  })
  reader.end()
  return out
}

describe('CsvReader', () => {
  it('splits at commas and keeps empty fields', () => {
    expect(parse('a,b,c\n1,,3\n,,')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] }, { line: 2, fields: ['1', '', '3'] }, { line: 3, fields: ['', '', ''] },
    ])
  })

  it('reads quoted fields with commas, doubled quotes and line breaks, numbering a record by its first line', () => {
    expect(parse('"a,b","say ""hi""",x\n"two\nlines",y\nz,w')).toEqual([
      { line: 1, fields: ['a,b', 'say "hi"', 'x'] },
      { line: 2, fields: ['two\nlines', 'y'] },
      { line: 4, fields: ['z', 'w'] },
    ])
  })

  it('takes CRLF endings (also inside a quoted field), a BOM on the first line, and skips blank lines', () => {
    expect(parse('\uFEFFa,b\r\n\r\n"x\r\ny",""\r\n')).toEqual([
      { line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['x\r\ny', ''] },
    ])
  })

  it('refuses a stray quote, text after a closing quote, an unclosed quote and an overlong record, with their lines', () => {
    const fails = (text: string, max?: number) => {
      try {
        parse(text, max)
      }
      catch (err) {
        expect(err).toBeInstanceOf(CsvError)
        return [(err as CsvError).line, (err as CsvError).message]
      }
      throw new Error('no error')
    }
    expect(fails('ok\nab"c')).toEqual([2, expect.stringMatching(/quote inside an unquoted field/)])
    expect(fails('"ab"c')).toEqual([1, expect.stringMatching(/closing quote must end its field/)])
    expect(fails('ok\n"open\nmore')).toEqual([2, expect.stringMatching(/never closed/)])
    expect(fails('"x\nyyyyyyyyyy', 8)).toEqual([1, expect.stringMatching(/longer than 8 characters/)])
  })

  it('carries on with the next line after a bad one', () => {
    const reader = new CsvReader(100)
    expect(() => reader.push('a"b,c', 1)).toThrow(CsvError)
    expect(reader.push('d,e', 2)).toEqual({ line: 2, fields: ['d', 'e'] })
  })
})
