// Config files are replaced, never edited in place.
import { chmodSync, chownSync, closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Temp file in the same folder, fsync, mode and owner set, then rename over: readers see old or new, never half. */
export function writeFileAtomic(path, content, { mode, uid, gid }) {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  }
  finally {
    closeSync(fd)
  }
  chmodSync(tmp, mode)
  if (uid !== undefined && gid !== undefined) chownSync(tmp, uid, gid)
  renameSync(tmp, path)
}
