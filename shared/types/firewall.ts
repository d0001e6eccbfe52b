// The per-port firewall as GET /api/v1/security/firewall returns it (the BSMP_FW chain's source).
import type { FirewallRule } from '#shared/schemas/security'

export type { FirewallMode, FirewallRule } from '#shared/schemas/security'

export interface FirewallPort extends FirewallRule {
  /** What listens there: "SMTP", "IMAPS", … or "Panel". */
  service: string
  /** The panel's own port: a rule that would shut out the caller is refused (LOCKOUT_PREVENTED). */
  panel: boolean
}

export interface FirewallStatus {
  chain: 'BSMP_FW'
  /** One row per managed port: the mail ports, then the panel's. */
  ports: FirewallPort[]
  panel_port: number
  /** The address the panel sees this request come from (what the firewall sees too: a proxy's, behind one). */
  your_address: string
  /** iptables and ip6tables are installed; without them a PUT is 409 CAPABILITY_MISSING. */
  available: boolean
  /** firewall.json exists, so the rules are applied again at every start. */
  saved: boolean
  /** Why firewall.json could not be read (its rules are then not applied); null when fine or absent. */
  problem: string | null
}
