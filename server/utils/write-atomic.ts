import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file so that a reader sees the old or the new content, never a mix: a temp file in the
 * same folder with the final mode and group, flushed, then renamed over the target.
 */
export function writeFileAtomic(path: string, content: string, mode: number, gid?: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 })
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(temp, 'wx', mode)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  }
  finally {
    closeSync(fd)
  }
  try {
    chmodSync(temp, mode)
    if (gid !== undefined) chownSync(temp, -1, gid)
    renameSync(temp, path)
  }
  catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}
