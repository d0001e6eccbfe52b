import { join } from 'node:path'
import { consola } from 'consola'
import { antispamDb } from '#server/db/queries/antispam'
import { dkimDb } from '#server/db/queries/dkim'
import { mailstackDb } from '#server/db/queries/mailstack'
import { policydDb } from '#server/db/queries/policyd'
import { parseListen, policyd } from '#server/policyd/daemon'
import { metrics } from '#server/services/metrics/metrics'
import { activeCertificate } from '#server/services/tls/active'
import { useConfig } from '#server/utils/config'
import { detectCapabilities, markActive } from './capabilities'
import { mailstackContext, MailstackContextError, type MailstackContext } from './context'
import { reconcile, settingsFromRow, type PolicyWiring, type ReconcileInput } from './reconcile'
import { mailstackTemplates, type TemplateSources } from './templates'
import type { Capabilities, ReconcileReport } from '#shared/types/mailstack'

// Mutations come in bursts (a script creating fifty things): one run after the burst is enough.
const DEBOUNCE_MS = 300
// A run with changes takes a few seconds (postfix check); a stuck one is abandoned at shutdown.
const SHUTDOWN_WAIT_MS = 10_000

let chain: Promise<unknown> = Promise.resolve()
let running = false
let timer: NodeJS.Timeout | undefined
const requested = new Set<string>()
let bundled: Promise<TemplateSources> | undefined

/** The policy daemon's real address (port 0 in POLICYD_LISTEN becomes the bound port) and the fail mode. */
async function policyWiring(listen: string): Promise<PolicyWiring> {
  let address = policyd.boundAddress()
  if (!address) {
    try {
      address = parseListen(listen)
    }
    catch { /* the daemon reports a bad POLICYD_LISTEN itself */ }
  }
  const service = address && address.port > 0 ? `inet:${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}` : ''
  return { service, failMode: await policydDb.failMode() }
}

/** The render context from the database's settings, or why the stack is not managed (no TCP DATABASE_URL). */
async function currentContext(): Promise<ReconcileInput['context']> {
  const config = useConfig()
  try {
    const [row, policy, antispam, whitelist, dkimKeys] = await Promise.all([mailstackDb.getSettings(), policyWiring(config.policydListen),
      antispamDb.getSettings(), antispamDb.whitelistForRender(), dkimDb.keysForRender()])
    return mailstackContext.build(config, settingsFromRow(row, policy), { antispam, whitelist, dkimKeys })
  }
  catch (err) {
    if (!(err instanceof MailstackContextError)) throw err
    return { unmanaged: `the mail stack is not managed: ${err.message}` }
  }
}

async function buildInput(trigger: string, dryRun: boolean): Promise<ReconcileInput> {
  const config = useConfig()
  bundled ??= mailstackTemplates.fromAssets()
  const { sources, overridden } = mailstackTemplates.withOverrides(await bundled, join(config.paths.configDir, 'templates'))
  const context = await currentContext()
  if ('unmanaged' in context) return { trigger, dryRun, context, templates: sources, overridden }
  return { trigger, dryRun, context, templates: sources, overridden, certificate: await activeCertificate() }
}

function log(report: ReconcileReport): void {
  if (report.errors.length) {
    consola.warn(`Reconcile (${report.trigger}) failed: ${report.errors.join('; ')}`)
    return
  }
  if (!report.changed) return
  const files = report.files.filter(f => f.result !== 'unchanged' && f.result !== 'skipped').map(f => `${f.path} (${f.result})`)
  const reloads = report.reloads.map(r => `${r.daemon} ${r.result}`)
  consola.info(`Reconcile (${report.trigger}): ${files.join(', ')}${reloads.length ? `; ${reloads.join(', ')}` : ''}`)
}

/** Runs reconciles one at a time (in this process, and across processes through an advisory lock). */
export const reconciler = {
  /** Runs after any run in progress, records it (unless a dry run) and returns the report. */
  run(trigger: string, { dryRun = false } = {}): Promise<ReconcileReport> {
    const next = chain.then(() => mailstackDb.exclusively(async () => {
      running = true
      const started = performance.now()
      try {
        const report = await reconcile(await buildInput(trigger, dryRun))
        if (!dryRun) {
          const { diff: _, ...row } = report
          await mailstackDb.recordRun(row)
        }
        metrics.reconcileRun(trigger, report.ok ? 'ok' : 'failed', report.duration_ms / 1000)
        log(report)
        return report
      }
      catch (err) {
        metrics.reconcileRun(trigger, 'error', (performance.now() - started) / 1000)
        throw err
      }
      finally {
        running = false
      }
    }))
    chain = next.catch(() => {})
    return next
  },

  /** Asks for a run soon: requests within DEBOUNCE_MS become one run (after a mutation that changes the files). */
  request(trigger: string): void {
    requested.add(trigger)
    clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      const triggers = [...requested].join(',')
      requested.clear()
      reconciler.run(triggers).catch((err: Error) => consola.warn(`Reconcile (${triggers}) could not run: ${err.message}`))
    }, DEBOUNCE_MS)
  },

  /**
   * The context a run would render with right now, `active` filled in as a run does (installed and
   * wanted): which daemons should be running, and where their pid files are (GET /health).
   */
  async liveContext(): Promise<{ ctx: MailstackContext, capabilities: Capabilities } | { unmanaged: string }> {
    const context = await currentContext()
    if ('unmanaged' in context) return context
    const capabilities = detectCapabilities()
    markActive(context, capabilities)
    return { ctx: context, capabilities }
  },

  /** The templates to render outside Nitro, where there are no server assets (the command line embeds its own). */
  useTemplates(sources: TemplateSources): void {
    bundled = Promise.resolve(sources)
  },

  state(): { running: boolean, pending: boolean } {
    return { running, pending: timer !== undefined }
  },

  /**
   * Drops a pending request and waits for a run in progress (shutdown), but not for ever: a run
   * stuck on a database that stopped answering must not keep the panel from exiting. Abandoning one
   * is safe (files are renamed into place whole; a staging folder left behind goes at the next run).
   */
  async idle(): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    let waited: NodeJS.Timeout | undefined
    await Promise.race([chain, new Promise<void>((resolve) => {
      waited = setTimeout(resolve, SHUTDOWN_WAIT_MS)
    })])
    clearTimeout(waited)
  },
}
