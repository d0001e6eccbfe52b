/**
 * RFC 4180 records from lines (as `readLines` yields them): fields split at commas, `"…"` quoting
 * with `""` for a quote, a quoted field may hold commas and line breaks (the record then spans
 * lines), CRLF or LF endings, a UTF-8 BOM before the header. Pure: one line in, a record out when it
 * is complete, so a file of any size is parsed holding one record at a time.
 */
export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number
  fields: string[]
}

export class CsvError extends Error {
  constructor(readonly line: number, message: string) {
    super(message)
  }
}

export class CsvReader {
  private fields: string[] = []
  private field = ''
  private quoted = false
  private start = 0
  private size = 0

  constructor(private readonly maxRecordChars: number) {}

  /** Feeds line `lineNo` (1-based, without its `\n`); returns the record it completes, if any. Blank lines outside quotes are skipped. */
  push(text: string, lineNo: number): CsvRecord | undefined {
    let line = lineNo === 1 && text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text
    const crlf = line.endsWith('\r')
    if (crlf) line = line.slice(0, -1)
    if (!this.quoted) {
      if (line === '' && this.fields.length === 0) return undefined
      this.start = lineNo
      this.size = 0
    }
    else {
      this.field += crlf ? '\r\n' : '\n'
    }
    this.size += line.length
    if (this.size > this.maxRecordChars) {
      this.reset()
      throw new CsvError(this.start, `the record is longer than ${this.maxRecordChars} characters (an unclosed quote?)`)
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!
      if (this.quoted) {
        if (c !== '"') this.field += c
        else if (line[i + 1] === '"') {
          this.field += '"'
          i++
        }
        else {
          this.quoted = false
          const next = line[i + 1]
          if (next !== undefined && next !== ',') {
            this.reset()
            throw new CsvError(lineNo, 'a closing quote must end its field (write a quote inside a quoted field as "")')
          }
        }
      }
      else if (c === ',') {
        this.fields.push(this.field)
        this.field = ''
      }
      else if (c === '"' && this.field === '') this.quoted = true
      else if (c === '"') {
        this.reset()
        throw new CsvError(lineNo, 'a quote inside an unquoted field (quote the whole field and write the quote as "")')
      }
      else this.field += c
    }
    if (this.quoted) return undefined
    const record = { line: this.start, fields: [...this.fields, this.field] }
    this.reset()
    return record
  }

  /** At the end of the input: a quoted field still open is an error at the line it started on. */
  end(): void {
    if (this.quoted) {
      const line = this.start
      this.reset()
      throw new CsvError(line, 'a quoted field is never closed')
    }
  }

  private reset(): void {
    this.fields = []
    this.field = ''
    this.quoted = false
  }
}
