import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mailstackContext, type MailstackContext } from '#server/mailstack/context'
import { resolvePaths } from '#server/utils/config'
import { api as apiAt, type ApiResponse, type RequestOptions } from './client'
import { startMailStack, type MailStackOptions, type MailStackPorts, type RunningMailStack } from './mail-stack'
import { installWithSetup } from './installer'
import { freePort, freePorts, raiseRateLimits, removeRoot, startServer, type TestServer } from './server'

export const MAIL_HOSTNAME = 'mail.e2e.test'

/** A panel on a fresh database whose reconciler wrote the configuration of a running Postfix + Dovecot. */
export interface ManagedStack {
  server: TestServer
  /** The panel role's password, which Postfix's maps and Dovecot's SQL file carry. */
  dbPassword: string
  api: <T = Record<string, unknown>>(path: string, opts?: RequestOptions) => Promise<ApiResponse<T>>
  ports: MailStackPorts & { imaps: number, submissionPlain: number, policyd: number, greylist: number, clamsmtp: number, reinject: number, spampd: number }
  /** The paths the panel renders to (the same context its reconciler builds). */
  ctx: MailstackContext
  daemons?: RunningMailStack
  stop: () => Promise<void>
}

type Api = ManagedStack['api']
const RUN_TIMEOUT_MS = 60_000

/** Waits until the newest recorded reconcile run is one with this trigger, and returns it. */
export async function waitForRun(api: Api, trigger: string): Promise<{ ok: boolean, trigger: string, errors: string[] }> {
  const deadline = Date.now() + RUN_TIMEOUT_MS
  for (;;) {
    const { body } = await api<{ last_run: { ok: boolean, trigger: string, errors: string[] } | null }>('/api/v1/reconcile/status')
    if (body.last_run?.trigger === trigger) return body.last_run
    if (Date.now() > deadline) throw new Error(`no reconcile run with trigger ${trigger}: ${JSON.stringify(body)}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

export interface ManagedStackOptions extends MailStackOptions {
  startDaemons?: boolean
  env?: Record<string, string>
  /**
   * An address of this machine (e.g. the host end of a veth pair) that smtpd listens on for ports 25
   * and 587 instead of 127.0.0.1, so clients in another network namespace reach it.
   */
  smtpHost?: string
  /**
   * Leave ClamAV and spampd switched on (the test starts clamd, clamsmtpd and spampd itself). Off by
   * default: an installed content filter that is not running would hold every inbound message in the queue.
   */
  contentFilters?: boolean
}

/**
 * Installs the panel into a scratch root with the project's own installer (its own database role,
 * config.env, day-0 certificate), starts it, moves the mail stack to loopback high ports over the
 * API, lets the reconciler write the files, then (unless `startDaemons: false`) starts Dovecot and
 * Postfix from them.
 */
export async function startManagedStack(opts: ManagedStackOptions = {}): Promise<ManagedStack> {
  const root = mkdtempSync(join(tmpdir(), 'mailpanel-e2e-'))
  const cleanup: (() => Promise<void> | void)[] = [() => removeRoot(root)]
  const stop = async () => {
    for (const fn of cleanup.reverse()) await fn()
  }
  try {
    const installed = await installWithSetup(root, MAIL_HOSTNAME)
    cleanup.push(installed.drop)
    const databaseUrl = installed.databaseUrl
    // The installer turns the panel's HTTPS on; the test client talks plain HTTP on loopback.
    const policydPort = await freePort()
    const server = await startServer({ root, databaseUrl, env: { HTTPS: 'off', POLICYD_LISTEN: `127.0.0.1:${policydPort}`, ...opts.env }, mailDaemons: true })
    cleanup.push(server.stop)
    await raiseRateLimits(server.url)
    const api = <T = Record<string, unknown>>(path: string, o: RequestOptions = {}) => apiAt<T>(path, { ...o, baseUrl: server.url })
    if (!opts.contentFilters) {
      const off = await api('/api/v1/config/antispam', { method: 'PUT', body: { clamav_enabled: false, spampd_enabled: false } })
      if (off.status !== 200) throw new Error(`PUT /config/antispam: ${off.status} ${JSON.stringify(off.body)}`)
      await waitForRun(api, 'antispam')
    }
    const [smtp, submission, imap, imaps, submissionPlain, greylist, clamsmtp, reinject, spampd] = await freePorts(9)
    const host = opts.smtpHost ?? '127.0.0.1'
    const ports = {
      smtp: smtp!, submission: submission!, imap: imap!, imaps: imaps!, submissionPlain: submissionPlain!, policyd: policydPort,
      greylist: greylist!, clamsmtp: clamsmtp!, reinject: reinject!, spampd: spampd!, host,
    }
    const settings = {
      smtp_listen: `${host}:${ports.smtp}`,
      submission_listen: `${host}:${ports.submission}`,
      submission_plain_listen: `127.0.0.1:${ports.submissionPlain}`,
      imap_listen: '127.0.0.1',
      imap_port: ports.imap,
      imaps_port: ports.imaps,
      greylist_listen: `127.0.0.1:${ports.greylist}`,
      clamsmtp_listen: `127.0.0.1:${ports.clamsmtp}`,
      reinject_listen: `127.0.0.1:${ports.reinject}`,
      spampd_listen: `127.0.0.1:${ports.spampd}`,
      inet_interfaces: opts.smtpHost ? `127.0.0.1, ${opts.smtpHost}` : 'loopback-only',
      inet_protocols: 'ipv4',
      auth_failure_delay: 0,
    }
    const put = await api('/api/v1/config/mailstack', { method: 'PUT', body: settings })
    if (put.status !== 200) throw new Error(`PUT /config/mailstack: ${put.status} ${JSON.stringify(put.body)}`)
    // The change itself triggers the (debounced) reconcile that writes the files.
    const run = await waitForRun(api, 'settings')
    if (!run.ok) throw new Error(`reconcile failed: ${JSON.stringify(run)}\n${server.output()}`)

    const ctx = mailstackContext.build({ paths: resolvePaths(root), databaseUrl, mailHostname: MAIL_HOSTNAME }, {
      smtp: settings.smtp_listen,
      submission: settings.submission_listen,
      submissionPlain: settings.submission_plain_listen,
      policyService: `inet:127.0.0.1:${policydPort}`,
      imapAddress: settings.imap_listen,
      imapPort: ports.imap,
      imapsPort: ports.imaps,
      inetInterfaces: settings.inet_interfaces,
      inetProtocols: settings.inet_protocols,
      authFailureDelaySeconds: 0,
      greylistListen: settings.greylist_listen,
      clamsmtpListen: settings.clamsmtp_listen,
      reinjectListen: settings.reinject_listen,
      spampdListen: settings.spampd_listen,
    })
    const stack: ManagedStack = { server, api, ports, ctx, stop, dbPassword: decodeURIComponent(new URL(databaseUrl).password) }
    if (opts.startDaemons !== false) {
      stack.daemons = await startMailStack(ctx, ports, { resolvConf: opts.resolvConf, helpers: opts.helpers })
      cleanup.push(stack.daemons.stop)
    }
    return stack
  }
  catch (err) {
    await stop()
    throw err
  }
}
