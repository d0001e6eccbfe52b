import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { writeFileAtomic } from '#lib/write-atomic.mjs'
import { MAX_ARCHIVE_BYTES } from '#server/services/backup/backup-archive'
import { CliError, UsageError } from '../context'

// It holds password hashes and secrets: readable by its owner only.
const ARCHIVE_MODE = 0o600
const GZIP_MAGIC = [0x1F, 0x8B]
const MIB = 1024 * 1024

const reason = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
}

/** FILE `-` is stdin / stdout; anything else a path. */
export const archiveFile = {
  /** The whole archive, capped like an upload; gzip or plain JSON by its first bytes. */
  async read(file: string): Promise<{ bytes: Buffer, kind: 'gzip' | 'json' }> {
    let bytes: Buffer
    if (file === '-') {
      if (process.stdin.isTTY) throw new UsageError('FILE is - but stdin is a terminal: pipe the archive in (restore - < backup.json.gz)')
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > MAX_ARCHIVE_BYTES) throw new CliError(`the archive on stdin is larger than ${MAX_ARCHIVE_BYTES / MIB} MiB`)
        chunks.push(chunk)
      }
      bytes = Buffer.concat(chunks)
    }
    else {
      try {
        if (statSync(file).size > MAX_ARCHIVE_BYTES) throw new CliError(`${file} is larger than ${MAX_ARCHIVE_BYTES / MIB} MiB`)
        bytes = readFileSync(file)
      }
      catch (err) {
        if (err instanceof CliError) throw err
        throw new CliError(`cannot read ${file}: ${reason(err)}`)
      }
    }
    if (!bytes.length) throw new CliError(`${file === '-' ? 'stdin' : file} is empty: not a backup archive`)
    return { bytes, kind: bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1] ? 'gzip' : 'json' }
  },

  /** Fails before any work when FILE cannot be written there (no such folder, a directory). */
  checkWritable(file: string): void {
    if (file === '-') {
      if (process.stdout.isTTY) throw new UsageError('FILE is - but stdout is a terminal: redirect it (backup - > backup.json.gz)')
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

  /** Replaces FILE whole (temp file + rename, mode 0600), or writes to stdout. */
  async write(file: string, bytes: Buffer): Promise<void> {
    if (file === '-') {
      await new Promise<void>((done, fail) => process.stdout.write(bytes, err => err ? fail(err) : done()))
      return
    }
    try {
      writeFileAtomic(file, bytes, { mode: ARCHIVE_MODE })
    }
    catch (err) {
      throw new CliError(`cannot write ${file}: ${reason(err)}`)
    }
  },
}
