import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { alive, commandLine, pidFrom } from '#server/mailstack/process'
import { writeFileAtomic } from '#lib/write-atomic.mjs'
import type { WebmailPaths } from './paths'

/**
 * The panel's own supervisor for the companion where systemd does not run it: the binary is spawned
 * detached (argv only, its own session, stdout and stderr appended to its log file), its pid written
 * to the pid file; stop is SIGTERM, then SIGKILL after STOP_TIMEOUT_MS. Bounds: a start is judged
 * after START_SETTLE_MS (a process that exits by then failed), every wait is a deadline.
 */

const START_SETTLE_MS = 700
const STOP_TIMEOUT_MS = 10_000
const KILL_TIMEOUT_MS = 2_000
const POLL_MS = 50

/** Alive and not a zombie (a child that exited but was not reaped yet still answers kill(pid, 0)). */
function running(pid: number): boolean {
  if (!alive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  }
  catch {
    return false
  }
}

/** The pid in the pid file when that process is alive and is the companion (not a reused pid). */
export function supervisedPid(paths: WebmailPaths): number | undefined {
  const pid = pidFrom(paths.pidFile)
  if (pid === undefined || !running(pid)) return undefined
  const argv = commandLine(pid)
  // An interpreter runs a script binary as `node /usr/bin/backendside-webmail …`: the path is one of its arguments.
  return argv?.includes(paths.binary) ? pid : undefined
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) return false
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  return true
}

export class StartFailedError extends Error {}

/**
 * The companion's environment: what a program needs to run, nothing of the panel's (its environment
 * may carry DATABASE_URL, JWT_SECRET or API_KEY from the unit's EnvironmentFile).
 */
export const companionEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  LANG: process.env.LANG ?? 'C.UTF-8',
  ...(process.env.TZ && { TZ: process.env.TZ }),
})

/** A signal to a process that may have exited in the meantime (ESRCH is not an error here). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** Starts the binary with its config; resolves with the pid once it has stayed up START_SETTLE_MS. */
export async function startSupervised(paths: WebmailPaths): Promise<number> {
  mkdirSync(dirname(paths.logFile), { recursive: true, mode: 0o755 })
  mkdirSync(dirname(paths.pidFile), { recursive: true, mode: 0o755 })
  const log = openSync(paths.logFile, 'a', 0o640)
  let child
  try {
    child = spawn(paths.binary, ['--config', paths.configFile], { detached: true, stdio: ['ignore', log, log], cwd: '/', env: companionEnv() })
  }
  finally {
    closeSync(log)
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', err => resolve(err.message))
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`))
  })
  // The panel may stop or restart; the companion is not its child in any way that matters.
  child.unref()
  const early = await Promise.race([exited, new Promise<undefined>(resolve => setTimeout(resolve, START_SETTLE_MS))])
  if (early !== undefined || child.pid === undefined) throw new StartFailedError(early ?? 'could not be started')
  writeFileAtomic(paths.pidFile, `${child.pid}\n`, { mode: 0o644 })
  return child.pid
}

/** SIGTERM, then SIGKILL if it outlives STOP_TIMEOUT_MS; the pid file is removed. False when nothing ran. */
export async function stopSupervised(paths: WebmailPaths): Promise<boolean> {
  const pid = supervisedPid(paths)
  if (pid === undefined) {
    rmSync(paths.pidFile, { force: true })
    return false
  }
  signal(pid, 'SIGTERM')
  if (!await waitUntil(() => !running(pid), STOP_TIMEOUT_MS)) {
    signal(pid, 'SIGKILL')
    await waitUntil(() => !running(pid), KILL_TIMEOUT_MS)
  }
  rmSync(paths.pidFile, { force: true })
  return true
}
