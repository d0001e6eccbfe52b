import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const COMMAND_TIMEOUT_MS = 30_000

/** A configuration the daemon's own checker refused; the message is the checker's. */
export class ValidationError extends Error {}

interface ExecFailure {
  code?: number | string
  stderr?: string
  stdout?: string
  message: string
}

/** Runs a command with an argument array (never a shell), bounded in time and output. */
export async function run(cmd: string, args: string[]): Promise<{ stdout: string, stderr: string }> {
  return exec(cmd, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 })
}

const warnings = (stderr: string) => [...new Set(stderr.split('\n').map(l => l.trim()).filter(l => /warning:/i.test(l)))]

/** Runs a checker: a non-zero exit is a ValidationError carrying its stderr; warnings are returned. */
export async function check(cmd: string, args: string[], what: string): Promise<string[]> {
  try {
    const { stderr } = await run(cmd, args)
    return warnings(stderr)
  }
  catch (err) {
    const e = err as ExecFailure
    if (e.code === 'ENOENT') throw new ValidationError(`${cmd} is not installed`)
    const text = (e.stderr || e.stdout || '').trim()
    throw new ValidationError(`${what} failed${text ? `: ${text}` : ` (exit ${e.code})`}`)
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch {
    return false
  }
}

export function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 1 ? pid : undefined
  }
  catch {
    return undefined
  }
}

/** Whether the process named in a pid file is alive (a stale file from a crash is not). */
export const runningFromPidFile = (file: string): boolean => {
  const pid = pidFrom(file)
  return pid !== undefined && alive(pid)
}

/** Sends a signal to the process in a pid file: how OpenDKIM, OpenDMARC and postgrey re-read their files. */
export function signalPidFile(file: string, signal: NodeJS.Signals, name: string): void {
  const pid = pidFrom(file)
  if (pid === undefined || !alive(pid)) throw new Error(`${name} is not running (no live pid in ${file})`)
  process.kill(pid, signal)
}

/** The command line a live process was started with (Linux /proc), or undefined. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  }
  catch {
    return undefined
  }
}

/** The running daemon's command line (joined) when it does not name `configFile`; undefined when it does or nothing runs. */
export function otherCommandLine(pidFile: string, configFile: string): string | undefined {
  const pid = pidFrom(pidFile)
  const argv = pid === undefined ? undefined : commandLine(pid)
  // An empty command line is a zombie or a process mid-exec: nothing to judge.
  return argv?.length && !argv.includes(configFile) ? argv.join(' ') : undefined
}

const systemdRunning = (): boolean => existsSync('/run/systemd/system')

/** Enables and starts a stopped unit where systemd runs; false elsewhere (nothing to start it with). */
export async function startService(unit: string): Promise<boolean> {
  if (!systemdRunning()) return false
  await check('systemctl', ['enable', unit], `systemctl enable ${unit}`)
  await check('systemctl', ['restart', unit], `systemctl restart ${unit}`)
  return true
}

/**
 * A daemon whose options are read only at start: restarted through systemd where it runs (enabled
 * first, so it also comes back after a reboot: RHEL does not enable packaged services, changelog
 * Build 051); elsewhere the caller gets a note that a restart is needed, never a silent no-op.
 */
/**
 * A milter's reload (OpenDKIM, OpenDMARC: SIGUSR1 re-reads the configuration, as Debian's units do).
 * One the package started with its own file (before the setup's drop-in) would re-read that file on a
 * signal, so it is restarted through `unit` onto `configFile` instead.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- most reloads return nothing; a note is the exception
export async function reloadMilter(m: { pidFile: string, configFile: string, unit: string, name: string }): Promise<string | void> {
  const other = otherCommandLine(m.pidFile, m.configFile)
  if (other) return restartService(m.unit, `it runs without the panel's configuration (${other})`)
  signalPidFile(m.pidFile, 'SIGUSR1', m.name)
}

// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- most reloads return nothing; a note is the exception
export async function restartService(unit: string, why: string): Promise<string | void> {
  if (!systemdRunning()) return `${why}: restart ${unit} to apply (no systemd here to do it)`
  await check('systemctl', ['enable', unit], `systemctl enable ${unit}`)
  await check('systemctl', ['reload-or-restart', unit], `systemctl reload-or-restart ${unit}`)
}
