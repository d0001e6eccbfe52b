/**
 * Splits a byte stream into lines as chunks arrive: lines may span chunks, a chunk may end inside a
 * UTF-8 character, and each chunk is decoded once and handed on line by line as slices of that one
 * string (which V8 keeps as views, not copies). Memory is one chunk plus at most one partial line of
 * MAX_LINE_BYTES: a longer line (not a Postfix one: syslog cuts those far shorter) is dropped
 * whole and reported to `skipped`.
 */

export const MAX_LINE_BYTES = 64 * 1024
const NEWLINE = 10
const CARRIAGE_RETURN = 13

export interface LineSink {
  /** One line, without its newline (and without a trailing \r). */
  line(line: string): void
  /** A line longer than MAX_LINE_BYTES, not passed on. */
  skipped(): void
}

export class LineReader {
  /** Bytes of the lines passed on so far (the offset to resume a file at, past the last complete line). */
  consumedBytes = 0
  private pending: Buffer | null = null
  private overlong = false

  constructor(private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    const first = chunk.indexOf(NEWLINE)
    if (first < 0) {
      this.hold(chunk)
      return
    }
    if (this.overlong) {
      this.overlong = false
      this.consumedBytes += first + 1
    }
    else if (this.pending) {
      const line = Buffer.concat([this.pending, chunk.subarray(0, first)])
      this.pending = null
      this.consumedBytes += line.length + 1
      this.emit(line.toString('utf8'))
    }
    else {
      this.consumedBytes += first + 1
      this.emit(chunk.toString('utf8', 0, first))
    }
    const last = chunk.lastIndexOf(NEWLINE)
    if (last > first) {
      this.consumedBytes += last - first
      this.lines(chunk.toString('utf8', first + 1, last + 1))
    }
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1))
  }

  /** The stream is over: a last line without its newline is still a line (as pflogsumm reads it). */
  end(): void {
    if (this.pending && !this.overlong) {
      this.consumedBytes += this.pending.length
      this.emit(this.pending.toString('utf8'))
    }
    this.pending = null
    this.overlong = false
  }

  /** Whether part of a line is waiting for its newline. */
  get midLine(): boolean {
    return this.pending !== null || this.overlong
  }

  private hold(part: Buffer): void {
    if (this.overlong) {
      this.consumedBytes += part.length
      return
    }
    const length = (this.pending?.length ?? 0) + part.length
    if (length > MAX_LINE_BYTES) {
      this.consumedBytes += length
      this.pending = null
      this.overlong = true
      this.sink.skipped()
      return
    }
    // A copy: the stream may reuse the chunk's memory.
    this.pending = this.pending ? Buffer.concat([this.pending, part]) : Buffer.from(part)
  }

  private emit(line: string): void {
    let end = line.length
    if (end > 0 && line.charCodeAt(end - 1) === CARRIAGE_RETURN) end--
    this.sink.line(end === line.length ? line : line.slice(0, end))
  }

  /** `text` holds whole lines, each ended by a newline. */
  private lines(text: string): void {
    const sink = this.sink
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === CARRIAGE_RETURN ? nl - 1 : nl
      // A slice of `text` shares its memory, and keeps every search of the parser inside the line.
      sink.line(text.slice(start, end))
      start = nl + 1
    }
  }
}
