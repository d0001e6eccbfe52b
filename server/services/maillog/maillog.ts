import { open } from 'node:fs/promises'
import type { MailStats } from '#shared/types/mailstats'
import { MailCounters } from './counters'
import { LineParser, type LineParserOptions, parseLine } from './parse'
import { LineReader } from './reader'

/**
 * The mail-log statistics, pure: bytes in, counts out. No database, no Nitro (the caller brings the
 * stream or the file, and keeps `consumedBytes` to resume from), so it runs in unit tests, in the
 * benchmark's plain Node process and, later, in the stats task.
 */

// One buffer, reused for every read: a decoded 64 KiB chunk stays below V8's large-object size, so it
// dies young, and memory stays the same for a 2,000,000-line file as for a 200,000-line one (larger
// chunks were measured to let RSS grow with the file).
export const CHUNK_BYTES = 1024 * 1024
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

  /** Reads a file from `offset` to its end with one reused buffer; `consumedBytes` of the result's collector is where to go on from. */
  async collectFile(path: string, options?: LineParserOptions & { offset?: number }): Promise<MaillogCollector> {
    const collector = new MaillogCollector(options)
    const file = await open(path, 'r')
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
      let position = options?.offset ?? 0
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, position)
        if (bytesRead === 0) break
        position += bytesRead
        collector.push(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead))
      }
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
