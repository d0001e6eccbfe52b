import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import type { MailstackSettingsRow } from '#shared/schemas/mailstack'
import { scrubSecrets } from '#server/utils/errors'
import { detectCapabilities, markActive } from './capabilities'
import { COMPONENTS } from './components'
import type { MailComponent } from './components/types'
import type { MailstackContext, MailstackSettings } from './context'
import { startService, ValidationError } from './process'
import { redactedDiff } from './diff'
import { writeFileAtomic } from '#lib/write-atomic.mjs'
import { fixPermissions, groupId, readLive, removeStaleStaging, userId, withStagingDir } from './files'
import { mailstack, type RenderedFile } from './render'
import type { TemplateSources } from './templates'
import type { Capabilities, FileOutcome, FileResult, ReconcileReport } from '#shared/types/mailstack'

export interface ReconcileInput {
  trigger: string
  dryRun: boolean
  /** Built from the config and settings; undefined with the reason when the stack cannot be managed. */
  context: MailstackContext | { unmanaged: string }
  templates: TemplateSources
  /** Template names an admin overrides (reported as a note, so a surprise is explainable). */
  overridden?: string[]
  capabilities?: Capabilities
  /** The certificate to serve (certificates table: newest valid, CA-issued first); undefined if none. */
  certificate?: { id: number, certPem: string, keyPem: string }
}

/** Where Postfix finds the panel's policy daemon, and what it does when the daemon does not answer. */
export interface PolicyWiring {
  /** `inet:127.0.0.1:10031`, or '' when the daemon has no usable address (not wired; noted in the run). */
  service: string
  failMode: 'defer' | 'dunno'
}

// Same words as the daemon's own answer when it cannot reach the database (server/policyd/service.ts).
const DEFER_ACTION = '451 4.3.0 Sending limits cannot be checked right now; try again later'

/** The settings row (and the policy daemon's address and fail mode) as the context builder wants them. */
export function settingsFromRow(row: MailstackSettingsRow, policy: PolicyWiring): MailstackSettings {
  return {
    smtp: row.smtp_listen,
    submission: row.submission_listen,
    submissionPlain: row.submission_plain_listen ?? '',
    policyService: policy.service,
    policyDefaultAction: policy.failMode === 'dunno' ? 'DUNNO' : DEFER_ACTION,
    imapAddress: row.imap_listen,
    imapPort: row.imap_port,
    imapsPort: row.imaps_port,
    inetInterfaces: row.inet_interfaces,
    inetProtocols: row.inet_protocols,
    authFailureDelaySeconds: row.auth_failure_delay,
    greylistListen: row.greylist_listen,
    clamsmtpListen: row.clamsmtp_listen,
    reinjectListen: row.reinject_listen,
    spampdListen: row.spampd_listen,
  }
}

/** The password as it appears raw (pgsql maps) and backslash-escaped (libpq conninfo). */
const secretsOf = (ctx: MailstackContext) => ctx.db.password ? [ctx.db.password.replace(/[\\']/g, m => `\\${m}`), ctx.db.password] : []

const message = (err: unknown) => err instanceof Error ? err.message : String(err)

interface DaemonOutcome {
  /** New content was renamed into place: the daemon must re-read it. */
  installed: boolean
}

/**
 * One component's files: compare with disk; if anything differs (or a file it wrote earlier is no
 * longer wanted), stage the complete new set in a private folder inside its own, run its checker on
 * it, and only then rename the changed files into place and remove the unwanted ones. A refusal
 * leaves every live file as it was.
 */
async function reconcileComponent(component: MailComponent, ctx: MailstackContext, files: RenderedFile[], report: ReconcileReport & { diff: string }, secrets: string[]): Promise<DaemonOutcome> {
  const daemon = component.name
  const dir = component.dir(ctx)
  const rel = (path: string) => relative(dir, path)
  if (files.some(f => rel(f.path).startsWith('..'))) throw new Error(`${daemon}: every file must be under ${dir}`)
  const results = new Map(files.map(f => [f.path, { path: f.path, daemon, result: 'unchanged' } as FileResult]))
  let pending: string[] = files.map(f => f.path)
  try {
    const gids = files.map(f => f.group === undefined ? undefined : groupId(f.group))
    const uids = files.map(f => f.owner === undefined ? undefined : userId(f.owner))
    const live = files.map(f => readLive(f.path))
    const changed = files.filter((f, i) => live[i]!.content !== f.content)
    const unwanted = (component.stale?.(ctx, new Set(files.map(f => rel(f.path)))) ?? []).map(name => join(dir, name))
    for (const path of unwanted) results.set(path, { path, daemon, result: 'unchanged' })
    pending = [...changed.map(f => f.path), ...unwanted]
    if (report.dry_run) {
      for (const f of changed) report.diff += redactedDiff(f.path, live[files.indexOf(f)]!.content, f.content, secrets)
    }
    else {
      // Content already right but mode, owner or group drifted (e.g. an admin's chmod): correct it, no reload needed.
      files.forEach((f, i) => {
        const l = live[i]!
        if (l.content === f.content && (l.mode !== f.mode || (gids[i] !== undefined && l.gid !== gids[i]) || (uids[i] !== undefined && l.uid !== uids[i]))) {
          fixPermissions(f.path, f.mode, gids[i], uids[i])
          results.get(f.path)!.result = 'permissions'
        }
      })
    }
    if (!changed.length && !unwanted.length) return { installed: false }

    removeStaleStaging(dir)
    // Runtime folders, not configuration: a plan on a fresh machine needs them to be checked at all.
    component.tools.prepare(ctx)
    await withStagingDir(dir, async (stage) => {
      files.forEach((f, i) => {
        const staged = join(stage, rel(f.path))
        mkdirSync(dirname(staged), { recursive: true, mode: 0o755 })
        writeFileAtomic(staged, f.content, { mode: f.mode, gid: gids[i], uid: uids[i] })
      })
      const warnings = await component.tools.validate(stage, ctx)
      report.notes.push(...warnings.map(w => `${daemon}: ${w.replaceAll(stage, dir)}`))
      for (const f of changed) {
        const existed = live[files.indexOf(f)]!.content !== undefined
        if (!report.dry_run) {
          mkdirSync(dirname(f.path), { recursive: true, mode: 0o755 })
          renameSync(join(stage, rel(f.path)), f.path)
        }
        results.get(f.path)!.result = report.dry_run ? (existed ? 'would-update' : 'would-create') : (existed ? 'updated' : 'created')
        pending = pending.filter(p => p !== f.path)
      }
      for (const path of unwanted) {
        if (!report.dry_run) rmSync(path, { force: true })
        results.get(path)!.result = report.dry_run ? 'would-remove' : 'removed'
        pending = pending.filter(p => p !== path)
      }
    })
    return { installed: !report.dry_run }
  }
  catch (err) {
    // The checker ran on the staging folder: show its messages with the live folder's name.
    const text = scrubSecrets(message(err)).replace(/\/\.mailpanel-staging-\w+/g, '')
    const outcome: FileOutcome = err instanceof ValidationError ? 'refused' : 'failed'
    for (const path of pending) Object.assign(results.get(path)!, { result: outcome, error: text })
    const verb = outcome === 'refused' ? 'the new configuration was refused and the running one is unchanged' : 'could not write the configuration'
    report.errors.push(`${daemon}: ${verb}: ${text}`)
    // Files renamed before a failure are live: the daemon must still re-read them.
    return { installed: [...results.values()].some(r => r.result === 'created' || r.result === 'updated' || r.result === 'removed') }
  }
  finally {
    report.files.push(...results.values())
  }
}

const CERT_MODE = 0o644
const KEY_MODE = 0o600

/**
 * Copies the active certificate to the stable paths in main.cf and dovecot.conf (parsed and
 * matched when it was stored, so there is nothing for a daemon's checker to add). A dry run
 * reports what would change but never puts key material into the diff.
 */
function reconcileTls(ctx: MailstackContext, certificate: ReconcileInput['certificate'], report: ReconcileReport): boolean {
  if (!certificate) {
    report.errors.push('tls: no valid certificate in the certificates table: STARTTLS on 587 and IMAPS on 993 cannot work until one is uploaded or issued')
    return false
  }
  const pairs = [
    { path: ctx.tls.cert_file, content: certificate.certPem, mode: CERT_MODE },
    { path: ctx.tls.key_file, content: certificate.keyPem, mode: KEY_MODE },
  ]
  let changed = false
  let wouldChange = false
  for (const f of pairs) {
    const result: FileResult = { path: f.path, daemon: 'tls', result: 'unchanged' }
    report.files.push(result)
    try {
      const live = readLive(f.path)
      if (live.content === f.content) {
        if (live.mode !== f.mode && !report.dry_run) {
          fixPermissions(f.path, f.mode)
          result.result = 'permissions'
        }
        continue
      }
      const existed = live.content !== undefined
      if (report.dry_run) {
        result.result = existed ? 'would-update' : 'would-create'
        wouldChange = true
        continue
      }
      writeFileAtomic(f.path, f.content, { mode: f.mode })
      result.result = existed ? 'updated' : 'created'
      changed = true
    }
    catch (err) {
      Object.assign(result, { result: 'failed', error: scrubSecrets(message(err)) })
      report.errors.push(`tls: could not write ${f.path}: ${result.error}`)
    }
  }
  if (wouldChange) report.notes.push(`tls: would install certificate ${certificate.id}`)
  if (changed) report.notes.push(`tls: installed certificate ${certificate.id}`)
  return changed
}

async function reloadComponent(component: MailComponent, ctx: MailstackContext, report: ReconcileReport): Promise<void> {
  const { tools, name: daemon } = component
  try {
    if (!await tools.running(ctx)) {
      const started = component.unit !== undefined && await startService(component.unit)
      report.reloads.push({ daemon, result: started ? 'started' : 'not-running' })
      return
    }
    const note = await tools.reload(ctx)
    if (note) report.notes.push(`${daemon}: ${note}`)
    report.reloads.push({ daemon, result: 'reloaded' })
  }
  catch (err) {
    const error = scrubSecrets(message(err))
    report.reloads.push({ daemon, result: 'failed', error })
    report.errors.push(`${daemon}: reload failed: ${error}`)
  }
}

/**
 * Desired state (the database, settings and templates) → the daemons' files on disk → reloads.
 * Pure of scheduling and locking (see runner.ts); a dry run validates the plan but writes nothing.
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  const started = new Date()
  const report: ReconcileReport & { diff: string } = {
    diff: '',
    trigger: input.trigger,
    dry_run: input.dryRun,
    ok: true,
    changed: false,
    started_at: started,
    finished_at: started,
    duration_ms: 0,
    files: [],
    reloads: [],
    notes: [],
    errors: [],
  }
  const finish = (): ReconcileReport => {
    if (!input.dryRun) delete (report as ReconcileReport).diff
    report.finished_at = new Date()
    report.duration_ms = report.finished_at.getTime() - started.getTime()
    report.ok = report.errors.length === 0
    report.changed = report.files.some(f => f.result === 'created' || f.result === 'updated' || f.result === 'permissions' || f.result === 'removed')
    return report
  }

  if ('unmanaged' in input.context) {
    report.notes.push(input.context.unmanaged)
    return finish()
  }
  const ctx = input.context
  if (!ctx.policy.service) report.notes.push('the policy daemon has no address yet (POLICYD_LISTEN port 0 before it listened): sending limits are not wired into Postfix in this run')
  if (input.overridden?.length) report.notes.push(`local template overrides in use: ${input.overridden.join(', ')}`)

  const capabilities = input.capabilities ?? detectCapabilities()
  const secrets = secretsOf(ctx)
  const installed = COMPONENTS.filter(c => capabilities[c.name].installed)
  markActive(ctx, capabilities)
  for (const c of COMPONENTS.filter(c => c.optional && capabilities[c.name].installed && capabilities.postfix.installed && !ctx.active[c.name])) {
    report.notes.push(`${c.name}: ${c.offNote ?? 'turned off in the anti-spam settings: Postfix does not use it'}`)
  }

  let rendered: RenderedFile[]
  try {
    rendered = mailstack.render(ctx, input.templates)
  }
  catch (err) {
    report.errors.push(`render failed, nothing was written: ${scrubSecrets(message(err))}`)
    return finish()
  }

  const reload = new Set<MailComponent>()
  const core = installed.filter(c => !c.optional)
  // Only for a machine that has a daemon to serve it.
  if (core.length && reconcileTls(ctx, input.certificate, report)) for (const c of core) reload.add(c)
  for (const component of COMPONENTS) {
    const files = rendered.filter(f => f.daemon === component.name)
    // The optional components are Postfix's helpers: without Postfix nothing would use them.
    if (component.optional && capabilities[component.name].installed && !capabilities.postfix.installed) {
      report.notes.push(`${component.name}: skipped, Postfix is not installed`)
      report.files.push(...files.map(f => ({ path: f.path, daemon: component.name, result: 'skipped' as const })))
      continue
    }
    if (!capabilities[component.name].installed) {
      const what = component.optional ? 'skipped (optional)' : 'its configuration was not written'
      report.notes.push(`${component.name} is not installed (no ${component.binary} on PATH): ${what}`)
      report.files.push(...files.map(f => ({ path: f.path, daemon: component.name, result: 'skipped' as const })))
      continue
    }
    const { installed: wrote } = await reconcileComponent(component, ctx, files, report, secrets)
    if (wrote) reload.add(component)
  }
  // In COMPONENTS order: the helpers re-read their files before Postfix is told to use them.
  for (const component of COMPONENTS.filter(c => reload.has(c))) await reloadComponent(component, ctx, report)
  return finish()
}
