import { which } from '#lib/which.mjs'
import type { MailDaemon } from './render'
import type { Capabilities, Capability } from '#shared/types/mailstack'

/** The binary whose presence means a daemon is installed (SPEC §5: gate on the binary, not the package name). */
export const DAEMON_BINARIES: Record<MailDaemon, string> = { postfix: 'postfix', dovecot: 'dovecot' }

/** `which` (lib/which.mjs), under the name the gates have always used. */
export const findBinary = which

export function detectCapabilities(path?: string): Capabilities {
  const detect = (daemon: MailDaemon): Capability => {
    const binary = findBinary(DAEMON_BINARIES[daemon], path)
    return binary ? { installed: true, binary } : { installed: false }
  }
  return { postfix: detect('postfix'), dovecot: detect('dovecot') }
}
