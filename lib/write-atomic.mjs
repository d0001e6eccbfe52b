// Config files are replaced, never edited in place. Shared by the installer (plain Node) and the
// server (bundled by Nitro): one writer, one set of guarantees.
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * The first half of an atomic write: the content in a temp file in the target's folder, with the
 * final mode (and owner, when given), flushed to disk. `commit()` renames it over the target (one
 * rename(2) in one folder: the step least likely to fail), `discard()` removes it. For a write that
 * must wait for something else to succeed first (a restore commits its transaction in between).
 * @param {string} path
 * @param {string | Uint8Array} content
 * @param {{ mode: number, uid?: number, gid?: number }} options uid alone or gid alone changes only that id
 * @returns {{ path: string, temp: string, commit: () => void, discard: () => void }}
 */
export function stageFile(path, content, { mode, uid, gid }) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 })
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(temp, 'wx', mode)
  const discard = () => rmSync(temp, { force: true })
  try {
    try {
      writeSync(fd, content)
      fsyncSync(fd)
    }
    finally {
      closeSync(fd)
    }
    chmodSync(temp, mode)
    if (uid !== undefined || gid !== undefined) chownSync(temp, uid ?? -1, gid ?? -1)
  }
  catch (err) {
    discard()
    throw err
  }
  return {
    path,
    temp,
    // A failed rename leaves the temp file where it is: the caller decides (discard, or keep it for the admin).
    commit() {
      renameSync(temp, path)
    },
    discard,
  }
}

/**
 * Writes a file so that a reader sees the old or the new content, never a mix: a temp file in the
 * same folder with the final mode (and owner, when given), flushed, then renamed over the target.
 * @param {string} path
 * @param {string | Uint8Array} content
 * @param {{ mode: number, uid?: number, gid?: number }} options uid alone or gid alone changes only that id
 */
export function writeFileAtomic(path, content, options) {
  const staged = stageFile(path, content, options)
  try {
    staged.commit()
  }
  catch (err) {
    staged.discard()
    throw err
  }
}
