import { existsSync, readFileSync } from 'node:fs'
import type { H3Event } from 'h3'
import * as v from 'valibot'
import { firewallPorts, firewallRuleSchema, type FirewallRule } from '#shared/schemas/security'
import type { FirewallStatus } from '#shared/types/firewall'
import { stageFile } from '#lib/write-atomic.mjs'
import { useConfig } from '#server/utils/config'
import { ApiError } from '#server/utils/errors'
import { normalizeIp } from '#server/utils/ip'
import { iptables } from './iptables'
import { FIREWALL_CHAIN, ruleAdmits } from './rules'

// The per-port firewall: firewall.json (under MAILPANEL_ROOT) is the source, BSMP_FW its image in
// the kernel. A change is applied first and saved after (staged, renamed once the kernel took it), so
// the file never holds rules the kernel refused. One change at a time.

const SERVICES: Record<number, string> = { 25: 'SMTP', 465: 'SMTPS (submission over TLS)', 587: 'Submission', 993: 'IMAPS', 995: 'POP3S', 143: 'IMAP', 110: 'POP3' }
const FILE_VERSION = 1

interface SavedState {
  rules: FirewallRule[]
  saved: boolean
  problem: string | null
}

const panelPort = () => useConfig().port
const statePath = () => useConfig().paths.firewallState

/** firewall.json's rules for the ports managed now (a rule for a former panel port is dropped). */
function readState(): SavedState {
  const path = statePath()
  if (!existsSync(path)) return { rules: [], saved: false, problem: null }
  const ports = firewallPorts(panelPort())
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { ports?: unknown }
    const listed = Array.isArray(raw.ports) ? raw.ports.filter(r => ports.includes((r as { port?: number } | null)?.port ?? -1)) : raw.ports
    const rules = v.parse(v.array(firewallRuleSchema(ports)), listed)
    return { rules, saved: true, problem: null }
  }
  catch (err) {
    const detail = err instanceof v.ValiError ? err.issues.map(i => `ports${v.getDotPath(i) ? `.${v.getDotPath(i)}` : ''}: ${i.message}`).join('; ') : (err as Error).message
    return { rules: [], saved: true, problem: `${path} is not valid (${detail}); its rules are not applied until it is saved again` }
  }
}

/** The full table: every managed port, Allow where no rule names it. */
function table(rules: readonly FirewallRule[]): FirewallRule[] {
  return firewallPorts(panelPort()).map(port => rules.find(r => r.port === port) ?? { port, mode: 'allow', addresses: [] })
}

let queue: Promise<unknown> = Promise.resolve()
function serialised<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work)
  queue = next.catch(() => {})
  return next
}

export const firewall = {
  /** The address the firewall sees this request's packets come from: the TCP peer (a proxy's, behind one). */
  callerAddress(event: H3Event): string {
    return normalizeIp(event.node.req.socket.remoteAddress ?? '')
  },

  status(callerAddress: string): FirewallStatus {
    const { rules, saved, problem } = readState()
    const port = panelPort()
    return {
      chain: FIREWALL_CHAIN,
      ports: table(rules).map(rule => ({ ...rule, service: rule.port === port ? 'Panel' : SERVICES[rule.port] ?? 'Panel', panel: rule.port === port })),
      panel_port: port,
      your_address: callerAddress,
      available: iptables.missingBinary() === undefined,
      saved,
      problem,
    }
  },

  /**
   * Refuses (409 LOCKOUT_PREVENTED) a panel-port rule that would drop the caller's own packets:
   * nothing is applied then. Otherwise applies both families and saves firewall.json.
   */
  update(rules: FirewallRule[], callerAddress: string): Promise<FirewallStatus> {
    const port = panelPort()
    if (!ruleAdmits(rules.find(r => r.port === port), callerAddress)) {
      throw new ApiError(409, 'LOCKOUT_PREVENTED', 'This would lock you out',
        `The rule for the panel's port ${port} would block your own address ${callerAddress}; add ${callerAddress} to its addresses, or keep it allow.`)
    }
    iptables.assertAvailable()
    return serialised(async () => {
      const next = table(rules)
      const staged = stageFile(statePath(), `${JSON.stringify({ version: FILE_VERSION, chain: FIREWALL_CHAIN, updated_at: new Date().toISOString(), ports: next }, null, 2)}\n`, { mode: 0o600 })
      try {
        await iptables.apply(next, table(readState().rules))
        staged.commit()
      }
      catch (err) {
        staged.discard()
        throw err
      }
      return firewall.status(callerAddress)
    })
  },

  /** At start: firewall.json's rules into the kernel again (after a reboot the chain is gone). Nothing without the file. */
  async applySaved(): Promise<'applied' | 'none'> {
    const { rules, saved, problem } = readState()
    if (!saved) return 'none'
    if (problem) throw new Error(problem)
    iptables.assertAvailable()
    await serialised(() => iptables.apply(table(rules), []))
    return 'applied'
  },
}
