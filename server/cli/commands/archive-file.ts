import { randomBytes } from 'node:crypto'
import { closeSync, createReadStream, createWriteStream, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ArchiveKind } from '#server/services/backup/backup-archive'
import { CliError, UsageError } from '../context'
import { panelUser } from '../panel-user'

// It holds password hashes and secrets: readable by its owner only.
const ARCHIVE_MODE = 0o600
const GZIP_MAGIC = [0x1F, 0x8B]

const reason = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
}

const kindOf = (head: Buffer): ArchiveKind => head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? 'gzip' : 'json'

/** stdin as a stream whose first bytes have been looked at (gzip or not), none of them lost. */
async function peekStdin(): Promise<{ input: Readable, kind: ArchiveKind }> {
  const rest = new PassThrough()
  const first = await new Promise<Buffer>((done, fail) => {
    const onData = (chunk: Buffer) => {
      process.stdin.off('end', onEnd)
      process.stdin.pause()
      done(chunk)
    }
    const onEnd = () => done(Buffer.alloc(0))
    process.stdin.once('data', onData).once('end', onEnd).once('error', fail)
  })
  rest.write(first)
  if (first.length) process.stdin.pipe(rest)
  else rest.end()
  return { input: rest, kind: kindOf(first) }
}

/** FILE `-` is stdin / stdout; anything else a path. Opened by the user who ran the command (panel-user.ts). */
export const archiveFile = {
  /** The archive as a stream (opened now, before the command takes on the panel's user), and its kind by its first bytes. */
  async open(file: string): Promise<{ input: Readable, kind: ArchiveKind }> {
    if (file === '-') {
      if (process.stdin.isTTY) throw new UsageError('FILE is - but stdin is a terminal: pipe the archive in (restore - < backup.jsonl.gz)')
      return peekStdin()
    }
    let fd: number
    try {
      fd = openSync(file, 'r')
      if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' })
    }
    catch (err) {
      throw new CliError(`cannot read ${file}: ${reason(err)}`)
    }
    const head = Buffer.alloc(2)
    const got = readSync(fd, head, 0, head.length, 0)
    if (got === 0) {
      closeSync(fd)
      throw new CliError(`${file} is empty: not a backup archive`)
    }
    return { input: createReadStream('', { fd, start: 0 }), kind: kindOf(head) }
  },

  /** Fails before any work when FILE cannot be written there (no such folder, a directory). */
  checkWritable(file: string): void {
    if (file === '-') {
      if (process.stdout.isTTY) throw new UsageError('FILE is - but stdout is a terminal: redirect it (backup - > backup.jsonl.gz)')
      return
    }
    const folder = dirname(resolve(file))
    try {
      if (!statSync(folder).isDirectory()) throw new CliError(`cannot write ${file}: ${folder} is not a directory`)
    }
    catch (err) {
      if (err instanceof CliError) throw err
      throw new CliError(`cannot write ${file}: ${folder}: ${reason(err)}`)
    }
    let existing
    try {
      existing = statSync(file)
    }
    catch { /* a new file */ }
    if (existing?.isDirectory()) throw new CliError(`cannot write ${file}: it is a directory`)
  },

  /**
   * Streams the archive into FILE whole or not at all: a temp file beside it (mode 0600, created as
   * the user who ran the command), flushed, then renamed over FILE; or to stdout.
   */
  async write(file: string, stream: Readable): Promise<number> {
    let bytes = 0
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length))
    if (file === '-') {
      await pipeline(stream, process.stdout, { end: false })
      return bytes
    }
    const temp = join(dirname(resolve(file)), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    let fd: number
    try {
      fd = panelUser.asInvoker(() => openSync(temp, 'wx', ARCHIVE_MODE))
    }
    catch (err) {
      throw new CliError(`cannot write ${file}: ${reason(err)}`)
    }
    try {
      await pipeline(stream, createWriteStream('', { fd, autoClose: false }))
      fsyncSync(fd)
      closeSync(fd)
      panelUser.asInvoker(() => renameSync(temp, file))
      return bytes
    }
    catch (err) {
      try {
        closeSync(fd)
      }
      catch { /* closed already */ }
      panelUser.asInvoker(() => rmSync(temp, { force: true }))
      // A file system call that failed is about FILE; anything else (the database) speaks for itself.
      throw typeof (err as NodeJS.ErrnoException).syscall === 'string' ? new CliError(`cannot write ${file}: ${reason(err)}`) : err
    }
  },
}
