import { readFileSync, rmSync, writeFileSync } from 'node:fs'

/** The embedded database is open in another live process (the running panel, or another command). */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`the embedded database in ${dataDir} is open in process ${pid} (the running panel?); PGlite allows one process at a time`)
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, another user's
  }
}

/**
 * PGlite's data folder must never be open in two processes: both would write the same files and
 * corrupt them, and PGlite itself does not check. `<dataDir>.lock` holds the owner's pid; a lock
 * whose process is gone (a crash, a kill -9) is taken over. Returns the release function.
 */
export function lockEmbeddedDir(dataDir: string): () => void {
  const path = `${dataDir}.lock`
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      break
    }
    catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (owner > 0 && owner !== process.pid && alive(owner)) throw new EmbeddedDatabaseBusyError(dataDir, owner)
      rmSync(path, { force: true })
    }
  }
  let held = true
  const release = () => {
    if (!held) return
    held = false
    process.off('exit', release)
    rmSync(path, { force: true })
  }
  // A process that exits without closing the database (process.exit after a start-up error) still lets go.
  process.once('exit', release)
  return release
}
