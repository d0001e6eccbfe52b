import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { MailstackContext } from './context'
import type { MailDaemon } from './render'

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

async function run(cmd: string, args: string[]): Promise<{ stdout: string, stderr: string }> {
  return exec(cmd, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 })
}

/** Runs a checker: a non-zero exit is a ValidationError carrying its stderr; warnings are returned. */
async function check(cmd: string, args: string[], what: string): Promise<string[]> {
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

const warnings = (stderr: string) => [...new Set(stderr.split('\n').map(l => l.trim()).filter(l => /warning:/i.test(l)))]

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch {
    return false
  }
}

function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 1 ? pid : undefined
  }
  catch {
    return undefined
  }
}

export interface DaemonTools {
  /** Creates what the daemon's checker expects to exist (a package install makes these; a fresh root has none). */
  prepare: (ctx: MailstackContext) => void
  /** Validates a folder holding the daemon's complete staged configuration; returns the checker's warnings. */
  validate: (stageDir: string) => Promise<string[]>
  running: (ctx: MailstackContext) => Promise<boolean>
  /** Makes the running daemon re-read its configuration (new listeners, maps, certificates). */
  reload: (ctx: MailstackContext) => Promise<void>
}

let pgsqlMapSupport: boolean | undefined

const postfix: DaemonTools = {
  prepare(ctx) {
    // `postfix check` creates the queue's subfolders and the data folder, but not their parents.
    for (const dir of [ctx.postfix.queue_directory, dirname(ctx.postfix.data_directory), dirname(ctx.postfix.maillog_file)]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 })
    }
  },
  async validate(stageDir) {
    // postconf reports syntax errors on stderr even without a TTY; `postfix check` then only exits 1.
    const found = [
      ...await check('postconf', ['-c', stageDir, '-n'], 'postconf (main.cf)'),
      ...await check('postconf', ['-c', stageDir, '-M'], 'postconf (master.cf)'),
    ]
    pgsqlMapSupport ??= (await run('postconf', ['-c', stageDir, '-m'])).stdout.split('\n').includes('pgsql')
    if (!pgsqlMapSupport) throw new ValidationError('Postfix has no pgsql map support: install the postfix-pgsql package')
    found.push(...await check('postfix', ['-c', stageDir, 'check'], 'postfix check'))
    return found
  },
  async running(ctx) {
    // `postfix status` exits 0 only while the master runs; ask the pid file first to skip a fork.
    if (!pidFrom(join(ctx.postfix.queue_directory, 'pid/master.pid'))) return false
    return run('postfix', ['-c', ctx.postfix.config_directory, 'status']).then(() => true, () => false)
  },
  async reload(ctx) {
    await check('postfix', ['-c', ctx.postfix.config_directory, 'reload'], 'postfix reload')
  },
}

const dovecot: DaemonTools = {
  prepare() {},
  async validate(stageDir) {
    return check('doveconf', ['-n', '-c', join(stageDir, 'dovecot.conf')], 'doveconf')
  },
  async running(ctx) {
    const pid = pidFrom(join(ctx.dovecot.base_dir, 'master.pid'))
    return pid !== undefined && alive(pid)
  },
  async reload(ctx) {
    // What `doveadm reload` does: SIGHUP to the master named in base_dir/master.pid.
    const pid = pidFrom(join(ctx.dovecot.base_dir, 'master.pid'))
    if (pid === undefined) throw new Error('Dovecot is not running (no master.pid)')
    process.kill(pid, 'SIGHUP')
  },
}

export const daemonTools: Record<MailDaemon, DaemonTools> = { postfix, dovecot }
