import { readFileSync, statSync } from 'node:fs'
import { resolvePaths } from '#server/utils/config'

const ROOT_ID = 0

/** The POSIX calls used here; @types/node marks them optional (absent on Windows) and lacks initgroups. */
interface PosixIds {
  initgroups: (user: string, extraGroup: number) => void
  setgroups: (groups: number[]) => void
  setegid: (id: number) => void
  seteuid: (id: number) => void
}
const ids = process as unknown as PosixIds

/** The user name of `uid` from /etc/passwd, if it has one. */
export function userName(uid: number): string | undefined {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n').map(line => line.split(':')).find(f => Number(f[2]) === uid)?.[0]
  }
  catch {
    return undefined
  }
}

let panel: { uid: number, gid: number } | undefined

/**
 * An admin runs the commands as root; the panel may run as its own system user. What a command
 * creates for the panel (the audit log, the embedded database's files and lock) must stay usable by
 * it, so root takes on the owner of etc/backendside-mailpanel as its effective user: the folder the
 * panel itself must write (audit log, config.env rewritten by rename, firewall.json, tls/), whoever
 * owns config.env inside it. Only the effective ids change: the admin's own FILE (backup, restore)
 * is still read and written as root (`asInvoker`). A root-owned folder (a panel running as root, the
 * tests) changes nothing.
 */
export const panelUser = {
  become(env: NodeJS.ProcessEnv = process.env): void {
    if (panel || process.geteuid?.() !== ROOT_ID) return
    let owner: { uid: number, gid: number }
    try {
      owner = statSync(resolvePaths(env.MAILPANEL_ROOT).configDir)
    }
    catch {
      return // not installed yet: loading the config says what is missing
    }
    if (owner.uid === ROOT_ID) return
    const name = userName(owner.uid)
    if (name) ids.initgroups(name, owner.gid)
    else ids.setgroups([owner.gid])
    ids.setegid(owner.gid)
    ids.seteuid(owner.uid)
    panel = { uid: owner.uid, gid: owner.gid }
  },

  /** Runs `work` as the user who started the command (root), then goes back to the panel's user. */
  asInvoker<T>(work: () => T): T {
    if (!panel) return work()
    ids.seteuid(ROOT_ID)
    ids.setegid(ROOT_ID)
    try {
      return work()
    }
    finally {
      ids.setegid(panel.gid)
      ids.seteuid(panel.uid)
    }
  },
}
