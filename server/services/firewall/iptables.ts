import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FirewallRule } from '#shared/schemas/security'
import { CommandMissingError, CommandTimeoutError, hasCommand, runCommand } from '#server/utils/command'
import { ApiError, apiErrors } from '#server/utils/errors'
import { FIREWALL_CHAIN, renderChain, type IpFamily } from './rules'

// The kernel side: BSMP_FW rebuilt in one iptables-restore transaction per family, and one jump to it
// at the top of INPUT, added only if missing. Nothing else in any table is read or changed.

const IPTABLES_PACKAGES = { debian: 'iptables', rhel: 'iptables-nft' }
const FAMILIES: { family: IpFamily, tables: string, restore: string }[] = [
  { family: 4, tables: 'iptables', restore: 'iptables-restore' },
  { family: 6, tables: 'ip6tables', restore: 'ip6tables-restore' },
]
const BINARIES = FAMILIES.flatMap(f => [f.tables, f.restore])
// Seconds to wait for the xtables lock another program (fail2ban, docker) may hold.
const LOCK_WAIT_S = '5'
const COMMAND_TIMEOUT_MS = 15_000
const STDERR_SHOWN = 300

/** iptables refused the rules (not root, no netfilter in this kernel, …): 502 with what it said. */
const failed = (argv: string[], stderr: string) => new ApiError(502, 'FIREWALL_FAILED', 'Firewall change failed',
  `${argv[0]} failed: ${stderr.trim().slice(0, STDERR_SHOWN) || 'no message'}. Nothing was saved.`)

async function run(argv: [string, ...string[]]): Promise<{ code: number, stderr: string }> {
  try {
    return await runCommand(argv, { timeoutMs: COMMAND_TIMEOUT_MS })
  }
  catch (err) {
    if (err instanceof CommandMissingError) throw apiErrors.capabilityMissing(err.binary, IPTABLES_PACKAGES)
    if (err instanceof CommandTimeoutError) throw failed(argv, `no answer within ${COMMAND_TIMEOUT_MS / 1000} s`)
    throw err
  }
}

async function applyFamily(rules: readonly FirewallRule[], { family, tables, restore }: typeof FAMILIES[number], dir: string): Promise<void> {
  // A file rather than stdin: the command runner passes argv only.
  const file = join(dir, `rules.v${family}`)
  writeFileSync(file, renderChain(rules, family), { mode: 0o600 })
  const restoreArgv: [string, ...string[]] = [restore, '-w', LOCK_WAIT_S, '--noflush', file]
  const restored = await run(restoreArgv)
  if (restored.code !== 0) throw failed(restoreArgv, restored.stderr)
  const jump = ['INPUT', '-j', FIREWALL_CHAIN]
  if ((await run([tables, '-w', LOCK_WAIT_S, '-C', ...jump])).code === 0) return
  const insertArgv: [string, ...string[]] = [tables, '-w', LOCK_WAIT_S, '-I', 'INPUT', '1', '-j', FIREWALL_CHAIN]
  const inserted = await run(insertArgv)
  if (inserted.code !== 0) throw failed(insertArgv, inserted.stderr)
}

export const iptables = {
  /** The first of iptables, iptables-restore, ip6tables, ip6tables-restore that is not installed. */
  missingBinary(): string | undefined {
    return BINARIES.find(b => !hasCommand(b))
  },

  /** 409 CAPABILITY_MISSING (package iptables) before anything is changed, if a binary is missing. */
  assertAvailable(): void {
    const missing = iptables.missingBinary()
    if (missing) throw apiErrors.capabilityMissing(missing, IPTABLES_PACKAGES)
  },

  /**
   * Both families, IPv4 first. If IPv6 fails after IPv4 was changed, IPv4 is put back to `previous`
   * (best effort) so the two never disagree for long; the error is then thrown.
   */
  async apply(rules: readonly FirewallRule[], previous: readonly FirewallRule[]): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'bsmp-fw-'))
    try {
      await applyFamily(rules, FAMILIES[0]!, dir)
      try {
        await applyFamily(rules, FAMILIES[1]!, dir)
      }
      catch (err) {
        await applyFamily(previous, FAMILIES[0]!, dir).catch(() => {})
        throw err
      }
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
