import { CommandMissingError, CommandTimeoutError, runCommand } from '#server/utils/command'
import { apiErrors, scrubSecrets } from '#server/utils/errors'
import { WEBMAIL_UNIT } from './paths'

/** The companion under systemd: its unit's state and the three actions, through systemctl (argv only, a timeout). */

const SYSTEMCTL_TIMEOUT_MS = 30_000
const SHOW_TIMEOUT_MS = 5_000
const MAX_DETAIL = 300
const SYSTEMD_PACKAGES = { debian: 'systemd', rhel: 'systemd' }

async function systemctl(args: string[], timeoutMs: number) {
  try {
    return await runCommand(['systemctl', ...args], { timeoutMs })
  }
  catch (err) {
    if (err instanceof CommandMissingError) throw apiErrors.capabilityMissing('systemctl', SYSTEMD_PACKAGES)
    if (err instanceof CommandTimeoutError) throw apiErrors.unavailable(`systemctl ${args[0]} ${WEBMAIL_UNIT} did not finish within ${timeoutMs / 1000} s.`)
    throw err
  }
}

export async function unitState(): Promise<{ running: boolean, pid: number | null }> {
  const res = await systemctl(['show', '--property=ActiveState,MainPID', WEBMAIL_UNIT], SHOW_TIMEOUT_MS)
  const props = Object.fromEntries(res.stdout.split('\n').map(line => line.split('=', 2) as [string, string]))
  const pid = Number(props.MainPID)
  return { running: props.ActiveState === 'active', pid: Number.isInteger(pid) && pid > 0 ? pid : null }
}

export async function unitAction(action: 'start' | 'stop' | 'restart'): Promise<void> {
  const res = await systemctl([action, WEBMAIL_UNIT], SYSTEMCTL_TIMEOUT_MS)
  if (res.code !== 0) {
    const why = scrubSecrets(res.stderr.trim().split('\n')[0] ?? '').slice(0, MAX_DETAIL)
    throw apiErrors.unavailable(`systemctl ${action} ${WEBMAIL_UNIT} failed${why ? `: ${why}` : ` (exit ${res.code})`}; see the log below.`)
  }
}
