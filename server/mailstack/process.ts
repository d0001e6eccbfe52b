import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
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
