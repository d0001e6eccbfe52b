/**
 * Splits a byte stream into lines as chunks arrive, without decoding them: each line is handed on as
 * a range of the chunk it is in (found with Buffer.indexOf, i.e. memchr), so a chunk costs no string
 * and no copy. Lines may span chunks: the head is held and joined to the tail (a multi-byte UTF-8
 * character cut in two is joined too, since nothing is decoded before). Memory is one chunk plus at
 * most one partial line of MAX_LINE_BYTES: a longer line (not a Postfix one: syslog cuts those far
 * shorter) is dropped whole and reported to `skipped`.
 */

export const MAX_LINE_BYTES = 64 * 1024
const NEWLINE = 10
const CARRIAGE_RETURN = 13

export interface LineSink {
  /** The chunk handed to the next line() calls holds new bytes (a stream may reuse one Buffer for every chunk). */
  chunk(): void
  /** One line: bytes[start, end), without its newline (and without a trailing \r); lines of one chunk come in order. */
  line(bytes: Buffer, start: number, end: number): void
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
    this.sink.chunk()
    this.finishPending(chunk, first)
    let start = first + 1
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.emit(chunk, start, nl)
      start = nl + 1
    }
    this.consumedBytes += start - (first + 1)
    if (start < chunk.length) this.hold(chunk.subarray(start))
  }

  /** The stream is over: a last line without its newline is still a line (as pflogsumm reads it). */
  end(): void {
    if (this.pending && !this.overlong) {
      this.consumedBytes += this.pending.length
      this.emit(this.pending, 0, this.pending.length)
    }
    this.pending = null
    this.overlong = false
  }

  /** Whether part of a line is waiting for its newline. */
  get midLine(): boolean {
    return this.pending !== null || this.overlong
  }

  /** The line that ends at `first` in `chunk`: whole, or the tail of the one held from earlier chunks. */
  private finishPending(chunk: Buffer, first: number): void {
    if (this.overlong) {
      this.overlong = false
    }
    else if (this.pending) {
      const line = Buffer.concat([this.pending, chunk.subarray(0, first)])
      this.consumedBytes += this.pending.length
      this.pending = null
      this.emit(line, 0, line.length)
    }
    else {
      this.emit(chunk, 0, first)
    }
    this.consumedBytes += first + 1
  }

  private hold(part: Buffer): void {
    // An empty chunk holds no line: kept, it would end the input as one empty line.
    if (part.length === 0) return
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

  private emit(bytes: Buffer, start: number, end: number): void {
    this.sink.line(bytes, start, end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end)
  }
}
