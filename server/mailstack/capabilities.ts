import { which } from '#lib/which.mjs'
import { COMPONENTS } from './components'
import type { MailstackContext } from './context'
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

/**
 * `ctx.active`: each component that is installed and wanted by the settings (a helper only with a
 * Postfix to use it), which is what main.cf and master.cf wire in; the health check asks the same.
 */
export function markActive(ctx: MailstackContext, capabilities: Capabilities): void {
  for (const c of COMPONENTS.filter(c => capabilities[c.name].installed)) {
    ctx.active[c.name] = (!c.optional || capabilities.postfix.installed) && (c.wanted?.(ctx) ?? true)
    ctx.binaries[c.name] = capabilities[c.name].binary ?? c.binary
  }
}
