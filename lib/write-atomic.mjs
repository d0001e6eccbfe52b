// Config files are replaced, never edited in place. Shared by the installer (plain Node) and the
// server (bundled by Nitro): one writer, one set of guarantees.
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file so that a reader sees the old or the new content, never a mix: a temp file in the
 * same folder with the final mode (and owner, when given), flushed, then renamed over the target.
 * @param {string} path
 * @param {string} content
 * @param {{ mode: number, uid?: number, gid?: number }} options uid alone or gid alone changes only that id
 */
export function writeFileAtomic(path, content, { mode, uid, gid }) {
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
    if (uid !== undefined || gid !== undefined) chownSync(temp, uid ?? -1, gid ?? -1)
    renameSync(temp, path)
  }
  catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}
