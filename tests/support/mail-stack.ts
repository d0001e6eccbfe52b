import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createSocket } from 'node:dgram'
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

/**
 * With a resolv.conf, the daemon starts in a mount namespace of its own with that file bound over
 * /etc/resolv.conf: it (and what it spawns) resolves through the test's DNS stub, nothing else does.
 * unshare and sh exec, so the child's pid is the daemon's.
 */
function start(name: string, cmd: string, args: string[], opts: { pid?: () => number | undefined, resolvConf?: string } = {}): Daemon {
  const [file, argv] = opts.resolvConf
    ? ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', opts.resolvConf, cmd, ...args]]
    : [cmd, args]
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return { name, child, exited, output: () => output, pid: opts.pid ?? (() => child.pid) }
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

function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host)
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
  /** Where smtpd listens on smtp and submission (default 127.0.0.1). */
  host?: string
}

/** The anti-spam helpers a test can run beside Postfix (OpenDKIM always runs when configured). */
export type MailHelper = 'opendmarc' | 'postgrey' | 'clamsmtp' | 'spampd'

export interface MailStackOptions {
  /** See start(): every daemon resolves through this file's name server. */
  resolvConf?: string
  /**
   * Off by default: a running postgrey would greylist the other suites' inbound mail. `clamsmtp`
   * starts clamd too, with TEST_VIRUS_SIGNATURE as its only signature database.
   */
  helpers?: MailHelper[]
}

export interface RunningMailStack {
  logs: () => string
  stop: () => Promise<void>
}

/**
 * Starts Dovecot then Postfix in the foreground from the configuration the panel's reconciler wrote
 * under the scratch root, after creating the runtime folders a package install would create.
 */
export async function startMailStack(ctx: MailstackContext, ports: MailStackPorts, opts: MailStackOptions = {}): Promise<RunningMailStack> {
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

  const daemons: Daemon[] = []
  const logs = () => [...[ctx.postfix.maillog_file, ctx.dovecot.log_path]
    .map(f => `--- ${f}\n${existsSync(f) ? readFileSync(f, 'utf8') : '(none)'}`), ...daemons.map(d => `--- ${d.name}\n${d.output()}`)].join('\n')
  // `postfix check` creates the queue folders (incl. private/, where Dovecot puts the SASL socket).
  // Postfix prints nothing without a TTY, so on failure the mail log is the diagnosis.
  try {
    await exec('postfix', ['-c', ctx.postfix.config_directory, 'check'])
  }
  catch (err) {
    throw new Error(`postfix check failed: ${(err as Error).message}\n${logs()}`)
  }
  await exec('doveconf', ['-n', '-c', join(ctx.dovecot.config_directory, 'dovecot.conf')])

  const stopAll = async () => {
    for (const d of daemons.reverse()) await stop(d)
  }
  try {
    const { resolvConf } = opts
    daemons.push(start('dovecot', 'dovecot', ['-F', '-c', join(ctx.dovecot.config_directory, 'dovecot.conf')]))
    await waitFor('Dovecot IMAP', () => listening(ports.imap), daemons)
    await waitFor('the SASL socket', () => existsSync(join(ctx.postfix.queue_directory, 'private/auth')), daemons)
    const milter = (name: string, binary: string, conf: string, socket: string) => startMilter(ctx, { name, args: [binary, '-f', binary === 'opendkim' ? '-x' : '-c', conf], socket, resolvConf })
    const opendkimConf = join(ctx.opendkim.config_directory, 'opendkim.conf')
    if (existsSync(opendkimConf)) daemons.push(await milter('opendkim', 'opendkim', opendkimConf, ctx.opendkim.socket_path))
    // The second OpenDKIM (ed25519-sha256; the unit opendkim-ed25519 in production), run as the user opendkim too.
    const ed25519Conf = join(ctx.opendkim_ed25519.config_directory, 'opendkim.conf')
    if (existsSync(ed25519Conf)) {
      daemons.push(await startMilter(ctx, { name: 'opendkim-ed25519', user: 'opendkim', args: ['opendkim', '-f', '-x', ed25519Conf], socket: ctx.opendkim_ed25519.socket_path, resolvConf }))
    }
    if (opts.helpers?.includes('opendmarc')) {
      daemons.push(await milter('opendmarc', 'opendmarc', join(ctx.opendmarc.config_directory, 'opendmarc.conf'), ctx.opendmarc.socket_path))
    }
    if (opts.helpers?.includes('postgrey')) daemons.push(await startPostgrey(ctx, resolvConf))
    // The content filters, last in the chain first, before Postfix hands them inbound mail.
    if (opts.helpers?.includes('spampd')) daemons.push(await startSpampd(ctx, resolvConf))
    if (opts.helpers?.includes('clamsmtp')) daemons.push(...await startClamsmtp(ctx))
    daemons.push(start('postfix', 'postfix', ['-c', ctx.postfix.config_directory, 'start-fg'], { pid: () => masterPid(ctx.postfix.queue_directory), resolvConf }))
    await waitFor('Postfix smtpd', async () => await listening(ports.smtp, ports.host) && await listening(ports.submission, ports.host), daemons)
  }
  catch (err) {
    await stopAll()
    throw new Error(`${(err as Error).message}\n${logs()}`)
  }
  return { logs, stop: stopAll }
}

/**
 * OpenDKIM or OpenDMARC in the foreground (`-f`) from the conf the reconciler wrote; resolves once its
 * milter socket exists. Postfix is not in the milter's group here, so the socket is opened up.
 */
async function startMilter(ctx: MailstackContext, m: { name: string, user?: string, args: string[], socket: string, resolvConf?: string }): Promise<Daemon> {
  if (!existsSync(m.args.at(-1)!)) throw new Error(`${m.name}: the reconciler wrote no ${m.args.at(-1)}`)
  mkdirSync(dirname(m.socket), { recursive: true, mode: 0o755 })
  const user = m.user ?? m.name
  await exec('chown', [`${user}:${user}`, dirname(m.socket)])
  const daemon = start(m.name, m.args[0]!, m.args.slice(1), { resolvConf: m.resolvConf })
  try {
    await waitFor(`the ${m.name} socket`, () => existsSync(m.socket), [daemon])
  }
  catch (err) {
    await stop(daemon)
    throw err
  }
  chmodSync(m.socket, 0o777)
  return daemon
}

/** postgrey in the foreground with the options of the postgrey.env the reconciler wrote. */
async function startPostgrey(ctx: MailstackContext, resolvConf?: string): Promise<Daemon> {
  const env = readFileSync(join(ctx.postgrey.config_directory, 'postgrey.env'), 'utf8')
  const options = /^POSTGREY_OPTS="([^"]*)"$/m.exec(env)?.[1]?.split(' ').filter(Boolean)
  if (!options) throw new Error(`postgrey.env has no POSTGREY_OPTS:\n${env}`)
  await ownedDirs('postgrey', [ctx.postgrey.db_directory, dirname(ctx.postgrey.pid_file)])
  return startListening('postgrey', 'postgrey', options, ctx.postgrey.listen, resolvConf)
}

/** Starts a daemon that serves TCP and resolves once `listen` (`host:port`) accepts connections. */
async function startListening(name: string, cmd: string, args: string[], listen: string, resolvConf?: string): Promise<Daemon> {
  const [, host = '', port = ''] = /^(.*):(\d+)$/.exec(listen) ?? []
  const daemon = start(name, cmd, args, { resolvConf })
  try {
    await waitFor(name, () => listening(Number(port), host), [daemon])
  }
  catch (err) {
    await stop(daemon)
    throw err
  }
  return daemon
}

/** The one signature of the test's ClamAV database (.ndb: name, any file type, anywhere, hex of the marker). */
export const TEST_VIRUS_SIGNATURE = { name: 'MailPanel.Test.Virus', marker: 'MAILPANEL-TEST-VIRUS-7f3a' }

async function ownedDirs(owner: string, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    await exec('chown', [`${owner}:${owner}`, dir])
  }
}

/**
 * clamd (ClamAV's own configuration is the package's, not the panel's: written here, socket where the
 * rendered clamsmtpd.conf looks for it) with a one-signature database, then clamsmtpd in the
 * foreground (`-d`) from the rendered file.
 */
async function startClamsmtp(ctx: MailstackContext): Promise<Daemon[]> {
  const conf = join(ctx.clamsmtp.config_directory, 'clamsmtpd.conf')
  if (!existsSync(conf)) throw new Error(`clamsmtp: the reconciler wrote no ${conf}`)
  const clamdDir = join(ctx.root, 'var/lib/clamav-test')
  mkdirSync(clamdDir, { recursive: true, mode: 0o755 })
  writeFileSync(join(clamdDir, 'mailpanel-test.ndb'), `${TEST_VIRUS_SIGNATURE.name}:0:*:${Buffer.from(TEST_VIRUS_SIGNATURE.marker).toString('hex')}\n`)
  await ownedDirs('clamav', [dirname(ctx.clamsmtp.clamd_socket)])
  writeFileSync(join(clamdDir, 'clamd.conf'), [
    'Foreground yes', `LocalSocket ${ctx.clamsmtp.clamd_socket}`, 'LocalSocketMode 666', `DatabaseDirectory ${clamdDir}`, 'LogTime yes', 'LogVerbose yes', '',
  ].join('\n'))
  const clamd = start('clamd', 'clamd', ['-c', join(clamdDir, 'clamd.conf')])
  try {
    await waitFor('the clamd socket', () => existsSync(ctx.clamsmtp.clamd_socket), [clamd])
    await ownedDirs('clamsmtp', [dirname(ctx.clamsmtp.pid_file), ctx.clamsmtp.temp_directory])
    const listen = /^Listen: (\S+)$/m.exec(readFileSync(conf, 'utf8'))?.[1] ?? ctx.clamsmtp.listen
    return [clamd, await startListening('clamsmtpd', 'clamsmtpd', ['-f', conf, '-d', '1'], listen)]
  }
  catch (err) {
    await stop(clamd)
    throw new Error(`${(err as Error).message}\nclamd: ${clamd.output()}`)
  }
}

/** spampd in the foreground (`--nodetach`) with the options of the rendered spampd.env. */
async function startSpampd(ctx: MailstackContext, resolvConf?: string): Promise<Daemon> {
  const env = readFileSync(join(ctx.spampd.config_directory, 'spampd.env'), 'utf8')
  const options = /^SPAMPD_ARGS="([^"]*)"$/m.exec(env)?.[1]?.split(' ').filter(Boolean)
  if (!options) throw new Error(`spampd.env has no SPAMPD_ARGS:\n${env}`)
  await ownedDirs('spampd', [dirname(ctx.spampd.pid_file)])
  // spampd logs only to syslog and exits without one; this machine has none, so it gets a UDP sink
  // (`--logsock=inet`: localhost:514) whose lines become part of its output.
  const sink = createSocket('udp4')
  let logged = ''
  sink.on('message', (msg) => {
    logged += `${msg.toString('utf8')}\n`
  })
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject)
    sink.bind(514, '127.0.0.1', () => resolve())
  })
  try {
    const daemon = await startListening('spampd', 'spampd', [...options, '--nodetach', '--logsock=inet'], ctx.spampd.listen, resolvConf)
    void daemon.exited.then(() => sink.close())
    return { ...daemon, output: () => `${daemon.output()}${logged}` }
  }
  catch (err) {
    sink.close()
    throw new Error(`${(err as Error).message}\nsyslog: ${logged}`)
  }
}
