import { open, stat } from 'node:fs/promises'
import { mailstatsDb, type MaillogBatch, type MaillogCursor } from '#server/db/queries/mailstats'
import { MaillogCollector, readChunks } from '#server/services/maillog/maillog'

/**
 * One pass of the stats collector over the Postfix log file: from the stored cursor to the end (in
 * bounded batches), each batch added to the tables in the transaction that moves the cursor, so a
 * restart never counts a line twice. Follows rotation (the file at `path` has a new inode: the rest
 * of the old one is read first from `<path>.1`, where logrotate and newsyslog move it) and truncation
 * (the file is shorter than the cursor: read again from the start).
 */

/** Bytes read per transaction: an initial import of a big log is many short transactions, not one long one. */
export const BATCH_BYTES = 8 * 1024 * 1024

export interface PassResult {
  /** Lines counted in this pass. */
  lines: number
  /** The file is not there (yet): Postfix has not logged anything. */
  missing: boolean
}

interface Source {
  file: string
  inode: number
  size: number
  from: number
}

async function inodeAndSize(file: string): Promise<{ inode: number, size: number } | undefined> {
  try {
    const st = await stat(file)
    return { inode: st.ino, size: st.size }
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Which file to read next and from where, given what the cursor says and what is on disk. */
async function nextSource(path: string, cursor: MaillogCursor | undefined): Promise<Source | 'missing' | 'done'> {
  const current = await inodeAndSize(path)
  if (!current) return 'missing'
  if (cursor && cursor.inode !== current.inode) {
    // Rotated since the last pass: finish the old file if it is still beside the new one.
    const rotated = await inodeAndSize(`${path}.1`)
    if (rotated?.inode === cursor.inode && rotated.size > cursor.byteOffset) {
      return { file: `${path}.1`, inode: rotated.inode, size: rotated.size, from: cursor.byteOffset }
    }
    return { file: path, ...current, from: 0 }
  }
  const from = cursor && cursor.byteOffset <= current.size ? cursor.byteOffset : 0
  return from < current.size || !cursor ? { file: path, ...current, from } : 'done'
}

/**
 * Reads up to BATCH_BYTES of complete lines from `source` and counts them. `final`: nothing more will be
 * written to it (a rotated file), so a last line without its newline counts too.
 */
async function readBatch(source: Source, final: boolean): Promise<MaillogBatch & { bytes: number }> {
  const collector = new MaillogCollector()
  const handle = await open(source.file, 'r')
  let eof: boolean
  try {
    ({ eof } = await readChunks(handle, source.from, BATCH_BYTES, chunk => collector.push(chunk)))
  }
  finally {
    await handle.close()
  }
  if (final && eof) collector.end()
  // In the live file a last line without its newline is still being written: it is read again next time.
  const bytes = final && eof ? source.size - source.from : collector.consumedBytes
  return {
    bytes,
    minutes: collector.counters.takeMinutes(),
    senders: collector.counters.takeHourlySenders(),
    cursor: { inode: source.inode, byteOffset: source.from + bytes, lines: collector.counters.lines },
  }
}

/** Counts what was added to the log since the last pass; returns once it has read to the end. */
export async function collectMaillog(path: string): Promise<PassResult> {
  let lines = 0
  for (;;) {
    const step = await mailstatsDb.pass(path, async (cursor) => {
      const source = await nextSource(path, cursor)
      if (source === 'missing' || source === 'done') return { result: source }
      const batch = await readBatch(source, source.file !== path)
      // Switching to the new file after a rotation moves the cursor even when nothing was read yet.
      const moved = batch.bytes > 0 || !cursor || cursor.inode !== source.inode
      if (!moved) return { result: 'done' as const }
      lines += batch.cursor.lines
      // The rest of a rotated file is done when the batch reached its end: go on with the new file.
      const more = batch.bytes > 0 && source.from + batch.bytes < source.size
      return { batch, result: more || source.file !== path ? 'more' as const : 'done' as const }
    })
    if (step === 'missing') return { lines, missing: true }
    if (step === 'done') return { lines, missing: false }
  }
}
