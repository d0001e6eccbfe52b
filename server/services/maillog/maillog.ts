import { type FileHandle, open } from 'node:fs/promises'
import type { MailStats } from '#shared/types/mailstats'
import { MailCounters } from './counters'
import { LineParser, type LineParserOptions, parseLine } from './parse'
import { LineReader } from './reader'

/**
 * The mail-log statistics, pure: bytes in, counts out. No database, no Nitro (the caller brings the
 * stream or the file, and keeps `consumedBytes` to resume from), so it runs in unit tests, in the
 * benchmark's plain Node process and, later, in the stats task.
 */

// Bytes per read. Chunks are never decoded (only the few fields a counter keeps are), so a chunk is
// one reused Buffer outside V8's heap and its size does not move RSS with the file; 1 MiB reads cost
// 24 thread-pool round trips for a 24 MB log where 64 KiB ones cost 375 (measured: ~100 ms of it).
export const CHUNK_BYTES = 1024 * 1024
/**
 * Reads `file` from `position` in CHUNK_BYTES chunks until its end or until `limit` bytes, handing each
 * chunk to `onChunk`. Two buffers take turns: the next chunk is read (in libuv's thread pool) while
 * this one is handled, so the disk and the parser wait for each other only at the ends. `onChunk`
 * must not keep the buffer (LineReader copies the partial line it holds).
 */
export async function readChunks(file: FileHandle, position: number, limit: number, onChunk: (chunk: Buffer) => void): Promise<{ bytes: number, eof: boolean }> {
  const want = (read: number) => Math.min(CHUNK_BYTES, limit - read)
  let spare = Buffer.allocUnsafe(CHUNK_BYTES)
  let read = 0
  let next = file.read(Buffer.allocUnsafe(CHUNK_BYTES), 0, want(0), position)
  for (;;) {
    const { bytesRead, buffer } = await next
    if (bytesRead === 0) return { bytes: read, eof: true }
    read += bytesRead
    const more = read < limit
    if (more) next = file.read(spare, 0, want(read), position + read)
    spare = buffer
    onChunk(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead))
    if (!more) return { bytes: read, eof: false }
  }
}

export class MaillogCollector {
  readonly counters = new MailCounters()
  private readonly parser: LineParser
  private readonly reader: LineReader

  constructor(options: LineParserOptions = {}) {
    const parser = new LineParser(options)
    const counters = this.counters
    this.parser = parser
    this.reader = new LineReader({
      chunk() {
        parser.newChunk()
      },
      line(bytes, start, end) {
        parser.parse(bytes, start, end)
        counters.add(parser)
      },
      skipped() {
        counters.addSkipped()
      },
    })
  }

  /** Bytes of complete lines counted so far. */
  get consumedBytes(): number {
    return this.reader.consumedBytes
  }

  push(chunk: Buffer): void {
    this.reader.push(chunk)
  }

  /** Counts a last line that has no newline; call once the input is over (not while following a growing file). */
  end(): void {
    this.reader.end()
  }

  stats(): MailStats {
    return this.counters.snapshot()
  }
}

export const maillog = {
  parseLine,

  collector(options?: LineParserOptions): MaillogCollector {
    return new MaillogCollector(options)
  },

  /**
   * Reads a file from `offset` to its end and counts it; `consumedBytes` of the result's collector is
   * where to go on from.
   */
  async collectFile(path: string, options?: LineParserOptions & { offset?: number }): Promise<MaillogCollector> {
    const collector = new MaillogCollector(options)
    const file = await open(path, 'r')
    try {
      await readChunks(file, options?.offset ?? 0, Number.POSITIVE_INFINITY, chunk => collector.push(chunk))
    }
    finally {
      await file.close()
    }
    collector.end()
    return collector
  },

  /** Reads a whole stream (a file, journalctl's output) chunk by chunk and returns its statistics. */
  async collect(stream: AsyncIterable<Buffer>, options?: LineParserOptions): Promise<MailStats> {
    const collector = new MaillogCollector(options)
    for await (const chunk of stream) collector.push(chunk)
    collector.end()
    return collector.stats()
  },
}
