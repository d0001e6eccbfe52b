import { open } from 'node:fs/promises'

/**
 * The newest lines of a file, read backwards from its end in fixed-size blocks into one reused
 * buffer: memory is one block, one partial line and the lines kept, so a 2 GB log costs what a small
 * one does. Bounds: BLOCK_BYTES per read, MAX_LINE_BYTES per line (a longer one is skipped whole),
 * MAX_SCAN_BYTES per request (a filter that matches little stops there and says so: `truncated`).
 */

export const BLOCK_BYTES = 64 * 1024
export const MAX_LINE_BYTES = 16 * 1024
export const MAX_SCAN_BYTES = 64 * 1024 * 1024
const NEWLINE = 10
const CARRIAGE_RETURN = 13

/**
 * Pure: takes blocks from the end of a file towards its start and hands on each complete line,
 * newest first. Only the newline byte splits, which never occurs inside a UTF-8 sequence, so each
 * line decodes whole.
 */
export class BackwardLines {
  // The start of the file's tail already seen: the end of a line whose beginning is in an earlier block.
  private carry: Buffer | null = null
  private overlong = false

  constructor(private readonly sink: (line: string) => boolean) {}

  /**
   * The block just before everything pushed so far. Returns false once the sink has said stop
   * (by returning false) — the caller reads no further.
   */
  push(block: Buffer): boolean {
    let end = block.length
    let tail = this.carry
    this.carry = null
    for (let nl = block.lastIndexOf(NEWLINE, end - 1); nl >= 0; nl = end > 0 ? block.lastIndexOf(NEWLINE, end - 1) : -1) {
      const head = block.subarray(nl + 1, end)
      end = nl
      if (this.overlong) {
        // The start of the line that grew past the cap: dropped with the rest of it.
        this.overlong = false
        tail = null
        continue
      }
      const bytes = tail ? Buffer.concat([head, tail]) : head
      tail = null
      if (!this.emit(bytes)) return false
    }
    this.hold(block.subarray(0, end), tail)
    return true
  }

  /** The start of the file: what is held is its first line. */
  finish(): void {
    const first = this.carry
    this.carry = null
    if (first && !this.overlong) this.emit(first)
    this.overlong = false
  }

  private hold(head: Buffer, tail: Buffer | null): void {
    if (this.overlong) return
    const length = head.length + (tail?.length ?? 0)
    if (length > MAX_LINE_BYTES) {
      this.overlong = true
      return
    }
    // A copy: the caller reuses the block's memory for the next read.
    this.carry = tail ? Buffer.concat([head, tail]) : Buffer.from(head)
  }

  private emit(bytes: Buffer): boolean {
    let length = bytes.length
    if (length > 0 && bytes[length - 1] === CARRIAGE_RETURN) length--
    if (length === 0) return true
    if (length > MAX_LINE_BYTES) return true
    return this.sink(bytes.toString('utf8', 0, length))
  }
}

export interface TailResult {
  /** Oldest first. */
  lines: string[]
  /** MAX_SCAN_BYTES were read before `count` lines matched and before the start of the file. */
  truncated: boolean
}

/** The newest `count` lines of `path` that `match` accepts, oldest first. */
export async function tailFile(path: string, count: number, match: (line: string) => boolean, maxScanBytes = MAX_SCAN_BYTES): Promise<TailResult> {
  const file = await open(path, 'r')
  const found: string[] = []
  try {
    const { size } = await file.stat()
    const buffer = Buffer.allocUnsafe(BLOCK_BYTES)
    const lines = new BackwardLines((line) => {
      if (match(line)) found.push(line)
      return found.length < count
    })
    let position = size
    let scanned = 0
    let more = true
    while (more && position > 0 && scanned < maxScanBytes) {
      const length = Math.min(BLOCK_BYTES, position)
      position -= length
      const { bytesRead } = await file.read(buffer, 0, length, position)
      scanned += bytesRead
      // A file truncated under us (logrotate copytruncate): what was read is all there is.
      if (bytesRead < length) {
        more = lines.push(buffer.subarray(0, bytesRead))
        position = 0
        break
      }
      more = lines.push(buffer.subarray(0, length))
    }
    if (more && position === 0) lines.finish()
    return { lines: found.reverse(), truncated: more && position > 0 }
  }
  finally {
    await file.close()
  }
}
