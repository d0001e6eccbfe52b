import type { FirewallRule } from '#shared/schemas/security'
import { IpList } from '#server/utils/ip'

// Pure: the table of rules → the text `iptables-restore --noflush` / `ip6tables-restore --noflush`
// reads. The chain is declared and flushed in the same transaction as its new rules, so a packet
// meets either the old chain or the new one, never a half-built one; no other chain is named.

export const FIREWALL_CHAIN = 'BSMP_FW'

export type IpFamily = 4 | 6

const familyOf = (entry: string): IpFamily => (entry.includes(':') ? 6 : 4)

/**
 * The chain only ever drops: a packet it does not drop returns to INPUT, whose other rules (the
 * admin's own, fail2ban's) still decide. Loopback is never filtered (a local webmail or reverse proxy
 * reaches IMAP and the panel), and packets of connections already set up pass, so a change never
 * cuts a session that is open.
 */
export function renderChain(rules: readonly FirewallRule[], family: IpFamily): string {
  const lines = [
    '*filter',
    `:${FIREWALL_CHAIN} - [0:0]`,
    `-F ${FIREWALL_CHAIN}`,
    `-A ${FIREWALL_CHAIN} -i lo -j RETURN`,
    `-A ${FIREWALL_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
  ]
  for (const rule of [...rules].sort((a, b) => a.port - b.port)) {
    const match = `-p tcp -m tcp --dport ${rule.port}`
    if (rule.mode === 'allow') continue
    if (rule.mode === 'restrict') {
      // Addresses of the other family do not apply here: that family's packets are all dropped.
      for (const source of rule.addresses.filter(a => familyOf(a) === family)) lines.push(`-A ${FIREWALL_CHAIN} -s ${source} ${match} -j RETURN`)
    }
    lines.push(`-A ${FIREWALL_CHAIN} ${match} -j DROP`)
  }
  lines.push('COMMIT', '')
  return lines.join('\n')
}

const LOOPBACK = new IpList(['127.0.0.0/8', '::1'])

/**
 * Whether packets from `address` (normalised: no ::ffff: prefix) still reach the port under `rule`.
 * Loopback always does (the chain lets `lo` through).
 */
export function ruleAdmits(rule: FirewallRule | undefined, address: string): boolean {
  if (!rule || rule.mode === 'allow' || LOOPBACK.includes(address)) return true
  // Only entries of the caller's family, as the kernel reads them: an IPv4 client does not match
  // ::ffff:192.0.2.1 there (that entry is ip6tables'), so it must not be counted as admitted here.
  return rule.mode === 'restrict' && new IpList(rule.addresses.filter(a => familyOf(a) === familyOf(address))).includes(address)
}
