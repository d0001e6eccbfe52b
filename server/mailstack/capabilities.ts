import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { MailDaemon } from './render'
import type { Capabilities, Capability } from '#shared/types/mailstack'

/** The binary whose presence means a daemon is installed (SPEC §5: gate on the binary, not the package name). */
export const DAEMON_BINARIES: Record<MailDaemon, string> = { postfix: 'postfix', dovecot: 'dovecot' }

/** `which`: the first executable `name` on PATH (systemd units and root shells include the sbin folders). */
export function findBinary(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    }
    catch { /* not here */ }
  }
  return undefined
}

export function detectCapabilities(path?: string): Capabilities {
  const detect = (daemon: MailDaemon): Capability => {
    const binary = findBinary(DAEMON_BINARIES[daemon], path)
    return binary ? { installed: true, binary } : { installed: false }
  }
  return { postfix: detect('postfix'), dovecot: detect('dovecot') }
}
