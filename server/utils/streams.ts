import type { Readable, Writable } from 'node:stream'

/**
 * Writes `chunk` and waits while `stream` is over its high-water mark; rejects once the stream is
 * closed or failed (a client that went away), so a producer never waits forever on a dead socket.
 */
export function writeOrWait(stream: Writable, chunk: string | Buffer): Promise<void> {
  if (stream.destroyed) return Promise.reject(new Error('the stream was closed'))
  if (stream.write(chunk)) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain)
      stream.off('close', onClose)
      stream.off('error', done)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = () => done()
    const onClose = () => done(new Error('the stream was closed'))
    stream.on('drain', onDrain)
    stream.on('close', onClose)
    stream.on('error', done)
  })
}

/**
 * The lines of a byte stream (without their `\n`), never holding more than one line plus one chunk;
 * a line longer than `maxLine` bytes throws `tooLong()`. A last line without `\n` is yielded too.
 */
export async function* readLines(source: AsyncIterable<Buffer>, maxLine: number, tooLong: () => Error): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined
  for await (const chunk of source) {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk
    let start = 0
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      if (nl - start > maxLine) throw tooLong()
      yield buf.subarray(start, nl)
      start = nl + 1
    }
    buf = buf.subarray(start)
    if (buf.length > maxLine) throw tooLong()
    rest = buf.length ? Buffer.from(buf) : undefined
  }
  if (rest?.length) yield rest
}

/** The first `bytes` of a stream (fewer if it ends) and an iterable of everything, those bytes included. */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer, all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const seen: Buffer[] = []
  let size = 0
  let ended = false
  while (size < bytes) {
    const next = await iterator.next()
    if (next.done) {
      ended = true
      break
    }
    seen.push(next.value)
    size += next.value.length
  }
  const all = (async function* () {
    yield* seen
    if (!ended) yield* { [Symbol.asyncIterator]: () => iterator }
  })()
  return { head: Buffer.concat(seen).subarray(0, bytes), all }
}
