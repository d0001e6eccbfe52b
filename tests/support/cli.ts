import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathWithoutMailDaemons } from './server'

/** The one binary, as a package installs it; it finds .output/ (server, cli) beside it. */
export const CLI_BIN = join(process.cwd(), 'bin/backendside-mailpanel')
const CLI_TIMEOUT_MS = 60_000

export interface CliRun {
  code: number | null
  stdout: string
  /** stdout as bytes (an archive from `backup -`). */
  bytes: Buffer
  stderr: string
}

export interface CliOptions {
  root: string
  /** Unset: the embedded database under the root. */
  databaseUrl?: string
  env?: Record<string, string>
  /** Piped to stdin (closed empty otherwise). */
  input?: Buffer | string
  /** Let the reconciler find Postfix and Dovecot on PATH. */
  mailDaemons?: boolean
}

/** Runs `backendside-mailpanel ARGS` to its end as a child process and returns what a user sees. */
export function runCli(args: string[], opts: CliOptions): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...(!opts.mailDaemons && { PATH: pathWithoutMailDaemons() }),
    MAILPANEL_ROOT: opts.root,
    CONSOLA_LEVEL: undefined,
    ...opts.env,
  }
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl
  else delete env.DATABASE_URL
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  child.stdin.end(opts.input ?? '')
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      const bytes = Buffer.concat(out)
      resolve({ code, stdout: bytes.toString('utf8'), bytes, stderr })
    })
  })
}
