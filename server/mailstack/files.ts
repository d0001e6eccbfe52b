import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const STAGING_PREFIX = '.mailpanel-staging-'

/** What is on disk now at a path the reconciler owns. */
export interface LiveFile {
  content?: string
  mode?: number
  gid?: number
}

export function readLive(path: string): LiveFile {
  try {
    const st = statSync(path)
    return { content: readFileSync(path, 'utf8'), mode: st.mode & 0o7777, gid: st.gid }
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}

/** Group name → gid from /etc/group (the daemons' packages create `postfix` and `dovecot`). */
export function groupId(name: string, groupFile = '/etc/group'): number {
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [group, , gid] = line.split(':')
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid)
  }
  throw new Error(`the system group "${name}" does not exist (is the daemon's package installed?)`)
}

/** Sets mode and group on a file whose content is already right. */
export function fixPermissions(path: string, mode: number, gid?: number): void {
  chmodSync(path, mode)
  if (gid !== undefined) chownSync(path, -1, gid)
}

/**
 * A private folder inside `dir` (same file system, so a staged file can be renamed into place)
 * that is removed afterwards, whatever happens.
 */
export async function withStagingDir<T>(dir: string, fn: (stage: string) => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  const stage = mkdtempSync(join(dir, STAGING_PREFIX))
  try {
    return await fn(stage)
  }
  finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

/** Staging folders a crashed run left behind (only ours: the prefix is specific). */
export function removeStaleStaging(dir: string): void {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  }
  catch {
    return
  }
  for (const name of entries.filter(n => n.startsWith(STAGING_PREFIX))) rmSync(join(dir, name), { recursive: true, force: true })
}
