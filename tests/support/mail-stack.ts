import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { MailstackContext } from '#server/mailstack/context'

const exec = promisify(execFile)
const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000

/**
 * A daemon we started as a foreground child. `pid()` is the process to signal: the child itself, or
 * (Postfix) the master that `postfix start-fg`'s shell runs, which makes itself a session leader.
 */
interface Daemon {
  name: string
  child: ChildProcess
  exited: Promise<void>
  output: () => string
  pid: () => number | undefined
}

function start(name: string, cmd: string, args: string[], pid?: () => number | undefined): Daemon {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return { name, child, exited, output: () => output, pid: pid ?? (() => child.pid) }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(pid, sig)
  }
  catch { /* already gone */ }
}

async function stop(d: Daemon): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return
  signal(d.pid(), 'SIGTERM')
  const timer = setTimeout(() => signal(d.pid(), 'SIGKILL'), STOP_TIMEOUT_MS)
  await d.exited
  clearTimeout(timer)
}

/** The Postfix master's pid from its pid file (`<queue_directory>/pid/master.pid`). */
function masterPid(queueDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(queueDirectory, 'pid/master.pid'), 'utf8').trim())
    return Number.isInteger(pid) && pid > 1 ? pid : undefined
  }
  catch {
    return undefined
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => s.end(() => resolve(true)))
    s.once('error', () => resolve(false))
  })
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, daemons: Daemon[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!await check()) {
    const dead = daemons.find(d => d.child.exitCode !== null)
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode}) before ${what}:\n${dead.output()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

export interface MailStackPorts {
  smtp: number
  submission: number
  imap: number
}

export interface RunningMailStack {
  logs: () => string
  stop: () => Promise<void>
}

/**
 * Starts Dovecot then Postfix in the foreground from the configuration the panel's reconciler wrote
 * under the scratch root, after creating the runtime folders a package install would create.
 */
export async function startMailStack(ctx: MailstackContext, ports: MailStackPorts): Promise<RunningMailStack> {
  // Dovecot and Postfix refuse sockets and maps under folders others cannot traverse.
  chmodSync(ctx.root, 0o755)
  for (const dir of [ctx.postfix.queue_directory, ctx.postfix.data_directory, ctx.dovecot.base_dir, ctx.dovecot.state_dir,
    dirname(ctx.postfix.maillog_file)]) mkdirSync(dir, { recursive: true, mode: 0o755 })
  await exec('chown', ['postfix:postfix', ctx.postfix.data_directory])
  mkdirSync(ctx.vmail.store, { recursive: true })
  chownSync(ctx.vmail.store, ctx.vmail.uid, ctx.vmail.gid)
  chmodSync(ctx.vmail.store, 0o770)
  // The certificate is the reconciler's: it installed the day-0 one at ctx.tls.{cert,key}_file.
  if (!existsSync(ctx.tls.cert_file)) throw new Error(`the reconciler did not install a certificate at ${ctx.tls.cert_file}`)

  const logs = () => [ctx.postfix.maillog_file, ctx.dovecot.log_path]
    .map(f => `--- ${f}\n${existsSync(f) ? readFileSync(f, 'utf8') : '(none)'}`).join('\n')
  // `postfix check` creates the queue folders (incl. private/, where Dovecot puts the SASL socket).
  // Postfix prints nothing without a TTY, so on failure the mail log is the diagnosis.
  try {
    await exec('postfix', ['-c', ctx.postfix.config_directory, 'check'])
  }
  catch (err) {
    throw new Error(`postfix check failed: ${(err as Error).message}\n${logs()}`)
  }
  await exec('doveconf', ['-n', '-c', join(ctx.dovecot.config_directory, 'dovecot.conf')])

  const daemons: Daemon[] = []
  const stopAll = async () => {
    for (const d of daemons.reverse()) await stop(d)
  }
  try {
    daemons.push(start('dovecot', 'dovecot', ['-F', '-c', join(ctx.dovecot.config_directory, 'dovecot.conf')]))
    await waitFor('Dovecot IMAP', () => listening(ports.imap), daemons)
    await waitFor('the SASL socket', () => existsSync(join(ctx.postfix.queue_directory, 'private/auth')), daemons)
    const opendkim = await startOpenDkim(ctx)
    if (opendkim) daemons.push(opendkim)
    daemons.push(start('postfix', 'postfix', ['-c', ctx.postfix.config_directory, 'start-fg'], () => masterPid(ctx.postfix.queue_directory)))
    await waitFor('Postfix smtpd', async () => await listening(ports.smtp) && await listening(ports.submission), daemons)
  }
  catch (err) {
    await stopAll()
    throw new Error(`${(err as Error).message}\n${daemons.map(d => `${d.name}: ${d.output()}`).join('\n')}\n${logs()}`)
  }
  return { logs, stop: stopAll }
}

/**
 * OpenDKIM in the foreground (`-f`) from the conf the reconciler wrote, when it wrote one; resolves
 * once its milter socket exists. Postfix is not in the opendkim group here, so the socket is opened up.
 */
async function startOpenDkim(ctx: MailstackContext): Promise<Daemon | undefined> {
  const conf = join(ctx.opendkim.config_directory, 'opendkim.conf')
  if (!existsSync(conf)) return undefined
  mkdirSync(dirname(ctx.opendkim.socket_path), { recursive: true, mode: 0o755 })
  await exec('chown', ['opendkim:opendkim', dirname(ctx.opendkim.socket_path)])
  const daemon = start('opendkim', 'opendkim', ['-f', '-x', conf])
  try {
    await waitFor('the OpenDKIM socket', () => existsSync(ctx.opendkim.socket_path), [daemon])
  }
  catch (err) {
    await stop(daemon)
    throw err
  }
  chmodSync(ctx.opendkim.socket_path, 0o777)
  return daemon
}
