import { which } from '#lib/which.mjs'
import { COMPONENTS } from './components'
import type { Capabilities, Capability, MailComponentName } from '#shared/types/mailstack'

/** The binary whose presence means a component is installed (SPEC §5: gate on the binary, not the package name). */
export const DAEMON_BINARIES = Object.fromEntries(COMPONENTS.map(c => [c.name, c.binary])) as Record<MailComponentName, string>

/** `which` (lib/which.mjs), under the name the gates have always used. */
export const findBinary = which

export function detectCapabilities(path?: string): Capabilities {
  const detect = (binaryName: string): Capability => {
    const binary = findBinary(binaryName, path)
    return binary ? { installed: true, binary } : { installed: false }
  }
  return Object.fromEntries(COMPONENTS.map(c => [c.name, detect(c.binary)])) as Capabilities
}
