import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const STAGING_PREFIX = '.mailpanel-staging-'

/** What is on disk now at a path the reconciler owns. */
export interface LiveFile {
  content?: string
  mode?: number
  uid?: number
  gid?: number
}

export function readLive(path: string): LiveFile {
  try {
    const st = statSync(path)
    return { content: readFileSync(path, 'utf8'), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}

/** Name → id from /etc/group or /etc/passwd (the third field in both). */
function idFrom(file: string, name: string): number | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [entry, , id] = line.split(':')
    if (entry === name && id !== undefined && /^\d+$/.test(id)) return Number(id)
  }
  return undefined
}

/** Group name → gid (the daemons' packages create `postfix`, `dovecot`, `opendkim` …). */
export function groupId(name: string, groupFile = '/etc/group'): number {
  const id = idFrom(groupFile, name)
  if (id === undefined) throw new Error(`the system group "${name}" does not exist (is the daemon's package installed?)`)
  return id
}

/** User name → uid (the owner of a DKIM private key is the `opendkim` user). */
export function userId(name: string, passwdFile = '/etc/passwd'): number {
  const id = idFrom(passwdFile, name)
  if (id === undefined) throw new Error(`the system user "${name}" does not exist (is the daemon's package installed?)`)
  return id
}

/** Sets mode, group and owner on a file whose content is already right. */
export function fixPermissions(path: string, mode: number, gid?: number, uid?: number): void {
  chmodSync(path, mode)
  if (gid !== undefined || uid !== undefined) chownSync(path, uid ?? -1, gid ?? -1)
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
