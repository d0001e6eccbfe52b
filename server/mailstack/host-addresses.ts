import { networkInterfaces } from 'node:os'
import type { MailstackSettingsRow } from '#shared/schemas/mailstack'

type Problem = { key: keyof MailstackSettingsRow, message: string }

/** One spelling per address, so `0:0:0:0:0:0:0:1` and `::1` compare equal (the URL parser canonicalizes IPv6). */
const canonical = (address: string): string => address.includes(':') ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address

/** The addresses of this machine's interfaces, canonical. */
function machineAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flat().filter(a => a !== undefined && !a.address.includes('%')).map(a => canonical(a!.address)))
}

/** The addresses a setting names explicitly (every-address spellings and ports alone name none). */
function named(settings: MailstackSettingsRow): [keyof MailstackSettingsRow, string][] {
  const out: [keyof MailstackSettingsRow, string][] = []
  for (const key of ['smtp_listen', 'submission_listen', 'submission_plain_listen'] as const) {
    const value = settings[key]
    const host = value?.includes(':') ? value.slice(0, value.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1') : undefined
    if (host) out.push([key, host])
  }
  const list = (s: string) => s.split(',').map(x => x.trim())
  for (const a of list(settings.imap_listen)) if (a !== '*' && a !== '::') out.push(['imap_listen', a])
  if (settings.inet_interfaces !== 'all' && settings.inet_interfaces !== 'loopback-only') {
    for (const a of list(settings.inet_interfaces)) out.push(['inet_interfaces', a])
  }
  return out
}

/**
 * The part of "will the daemons take it" that depends on this machine rather than on the spelling
 * (which shared/schemas/mailstack.ts decides): postconf refuses an inet_interfaces address no
 * interface has ("no local interface found"), and Postfix's master and Dovecot cannot bind a
 * service to one. Checked where a person changes the settings (PUT /config/mailstack); a restore
 * from another machine is not refused for it (its run reports the daemons' words instead).
 */
export const hostAddresses = {
  /** The first address among `keys` (default: all) that no interface of this machine has. */
  notLocal(settings: MailstackSettingsRow, keys?: string[], local: Set<string> = machineAddresses()): Problem | undefined {
    for (const [key, address] of named(settings)) {
      if (keys && !keys.includes(key)) continue
      if (!local.has(canonical(address))) return { key, message: `${key}: ${address} is not an address of this machine; use one of its interfaces' addresses, or the spelling for every address` }
    }
    return undefined
  },
}
