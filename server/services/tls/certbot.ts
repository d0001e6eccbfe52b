import { execFile } from 'node:child_process'
import { which } from '#lib/which.mjs'
import type { CertbotMethod } from '#shared/schemas/certificates'
import { tlsErrors } from './errors'
import { hostnames } from './hostname'
import type { TlsPaths } from './paths'

// An ACME order with HTTP validation takes seconds; a hung CA or firewall must not hold the request forever.
const RUN_TIMEOUT_MS = 5 * 60_000
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024
const DETAIL_LINES = 6
const MAX_DETAIL = 1_000
const DEFAULT_HTTP_PORT = 80

export interface IssueOptions {
  hostname: string
  email?: string
  method: CertbotMethod
  httpPort?: number
}

/** certbot's folders under MAILPANEL_ROOT, so it never needs /etc/letsencrypt unless the root is `/`. */
function dirArgs(paths: TlsPaths): string[] {
  const { configDir, workDir, logsDir } = paths.certbot
  return ['--config-dir', configDir, '--work-dir', workDir, '--logs-dir', logsDir]
}

/** `certbot` on PATH, or undefined (the package is optional: issuing is capability-gated). */
const findBinary = (path?: string) => which('certbot', path)

/** The last few lines certbot wrote (its errors come last), for the API's error detail. */
function tail(text: string): string {
  const lines = text.split('\n').map(l => l.trim()).filter(Boolean)
  return lines.slice(-DETAIL_LINES).join(' | ').slice(-MAX_DETAIL)
}

// One certbot at a time: it takes a lock of its own and fails the second run instead of waiting.
let queue: Promise<unknown> = Promise.resolve()

/** Argument arrays only: the hostname passes hostnames.safe() again here, whatever the caller checked. */
export const certbot = {
  issueArgs(paths: TlsPaths, opts: IssueOptions): string[] {
    const host = hostnames.safe(opts.hostname)
    const challenge = opts.method === 'webroot'
      ? ['--webroot', '-w', paths.certbot.webroot]
      : ['--standalone', '--http-01-port', String(opts.httpPort ?? DEFAULT_HTTP_PORT)]
    return [
      'certonly', '--non-interactive', '--agree-tos',
      ...(opts.email ? ['--email', opts.email] : ['--register-unsafely-without-email']),
      // The lineage is live/<hostname>/ and an existing one that is not due is kept, not duplicated.
      '--cert-name', host, '-d', host, '--keep-until-expiring',
      ...challenge,
      ...dirArgs(paths),
    ]
  },

  renewArgs(paths: TlsPaths, hostname: string, force: boolean): string[] {
    // Without a terminal certbot waits a random while (up to 8 minutes) before renewing, to spread
    // cron jobs' load on the CA; an API call is not a cron job.
    return ['renew', '--non-interactive', '--no-random-sleep-on-renew', '--cert-name', hostnames.safe(hostname), ...(force ? ['--force-renewal'] : []), ...dirArgs(paths)]
  },

  deleteArgs(paths: TlsPaths, hostname: string): string[] {
    return ['delete', '--non-interactive', '--cert-name', hostnames.safe(hostname), ...dirArgs(paths)]
  },

  available: (): boolean => findBinary() !== undefined,

  /** Runs certbot (queued behind any other run); 409 CAPABILITY_MISSING without the package, 502 CERTBOT_FAILED when it fails. */
  run(args: string[]): Promise<string> {
    const binary = findBinary()
    if (!binary) return Promise.reject(tlsErrors.capabilityMissing('certbot', 'certbot'))
    const run = queue.then(() => new Promise<string>((resolve, reject) => {
      execFile(binary, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout)
        const how = err.killed ? `was stopped after ${RUN_TIMEOUT_MS / 1000} s` : `exited with code ${err.code}`
        reject(tlsErrors.certbotFailed(`certbot ${args[0]} ${how}: ${tail(`${stdout}\n${stderr}`) || 'no output'}`))
      })
    }))
    queue = run.catch(() => {})
    return run
  },
}
