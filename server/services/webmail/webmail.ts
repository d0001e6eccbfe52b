import { existsSync, statSync } from 'node:fs'
import { fromFile, fromJournal } from '#server/services/logs/logs'
import { CommandMissingError, CommandTimeoutError, runCommand } from '#server/utils/command'
import { useConfig } from '#server/utils/config'
import { ApiError, apiErrors } from '#server/utils/errors'
import type { WebmailConfig, WebmailLogsQuery } from '#shared/schemas/webmail'
import type { WebmailActionResponse, WebmailConfigResponse, WebmailLogsResponse, WebmailRegenResponse, WebmailStatus } from '#shared/types/webmail'
import { fingerprint, loadConfig, newSecret, saveConfig } from './config-file'
import { detectInstall, systemdRuns, WEBMAIL_PACKAGE, WEBMAIL_UNIT, webmailPaths, type WebmailInstall, type WebmailPaths } from './paths'
import { companionEnv, StartFailedError, startSupervised, stopSupervised, supervisedPid } from './supervisor'
import { unitAction, unitState } from './systemd'

/**
 * The BackendSide WebMail companion (a separate product): whether it is installed, its settings file,
 * start / stop / restart, its log. Managed by systemd where systemd runs and its unit is installed,
 * else by the panel's supervisor (supervisor.ts). Without it every operation but the status is 409
 * CAPABILITY_MISSING naming the package. Changes run one at a time (a second start waits for the
 * first), so two clicks never spawn two companions or interleave two writes of the file.
 */

const VERSION_TIMEOUT_MS = 5_000
const MAX_VERSION = 100
const PACKAGES = { debian: WEBMAIL_PACKAGE, rhel: WEBMAIL_PACKAGE }

const paths = (): WebmailPaths => webmailPaths(useConfig().paths.root)
const managedBySystemd = (install: WebmailInstall): boolean => install.unit !== null && systemdRuns()

let queue: Promise<unknown> = Promise.resolve()
/** Runs `work` after every change already asked for. */
function serially<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work)
  queue = run.catch(() => {})
  return run
}

/** The install, or 409 CAPABILITY_MISSING when neither its binary nor its unit is there. */
function requireInstall(p: WebmailPaths): WebmailInstall {
  const install = detectInstall(p)
  if (!install.binary && !install.unit) throw apiErrors.capabilityMissing(WEBMAIL_PACKAGE, PACKAGES)
  return install
}

let versionCache: { key: string, version: string | null } | undefined
/** `backendside-webmail --version`, asked again only when the binary changes (an upgrade). */
async function version(binary: string | null): Promise<string | null> {
  if (!binary) return null
  let key
  try {
    key = `${binary}:${statSync(binary).mtimeMs}`
  }
  catch {
    return null // removed since it was found
  }
  if (versionCache?.key === key) return versionCache.version
  let found: string | null = null
  try {
    const res = await runCommand([binary, '--version'], { timeoutMs: VERSION_TIMEOUT_MS, maxBytes: 4096, env: companionEnv() })
    found = res.code === 0 ? (res.stdout.trim().split('\n')[0] ?? '').slice(0, MAX_VERSION) || null : null
  }
  catch (err) {
    if (!(err instanceof CommandMissingError || err instanceof CommandTimeoutError)) throw err
  }
  versionCache = { key, version: found }
  return found
}

async function status(): Promise<WebmailStatus> {
  const p = paths()
  const install = detectInstall(p)
  const installed = Boolean(install.binary || install.unit)
  const systemd = managedBySystemd(install)
  let state: { running: boolean, pid: number | null } = { running: false, pid: null }
  if (systemd) state = await unitState()
  else if (install.binary) {
    const pid = supervisedPid(p)
    state = { running: pid !== undefined, pid: pid ?? null }
  }
  return {
    installed,
    package: WEBMAIL_PACKAGE,
    binary: install.binary,
    unit: install.unit,
    manager: systemd ? 'systemd' : 'panel',
    ...state,
    version: installed ? await version(install.binary) : null,
    config_file: p.configFile,
    log_file: p.logFile,
  }
}

async function readConfig(): Promise<WebmailConfigResponse> {
  const p = paths()
  requireInstall(p)
  const loaded = await loadConfig(p.configFile)
  return {
    exists: loaded.exists,
    ...loaded.config,
    session_secret_set: loaded.secret !== null,
    session_secret_fingerprint: loaded.secret === null ? null : fingerprint(loaded.secret),
  }
}

async function writeConfig(config: WebmailConfig): Promise<WebmailConfigResponse & { message: string }> {
  const p = paths()
  requireInstall(p)
  const panel = useConfig()
  // The panel's own port is taken (the same address or all of them): the companion would fail to start.
  if (config.listen_port === panel.port) throw apiErrors.validation(`listen_port: is the panel's own port (${panel.port}); choose another`)
  await serially(async () => saveConfig(p.configFile, await loadConfig(p.configFile), config))
  const running = (await status()).running
  return { message: running ? 'Webmail settings saved: restart webmail to apply them' : 'Webmail settings saved', ...await readConfig() }
}

async function regenerateSecret(): Promise<WebmailRegenResponse> {
  const p = paths()
  requireInstall(p)
  const secret = await serially(async () => {
    const loaded = await loadConfig(p.configFile)
    return saveConfig(p.configFile, loaded, loaded.config, newSecret())
  })
  return { message: 'Session secret regenerated: restart webmail to apply it (everyone signed in to webmail is signed out)', session_secret_fingerprint: fingerprint(secret) }
}

const notConfigured = (p: WebmailPaths) =>
  new ApiError(409, 'WEBMAIL_NOT_CONFIGURED', 'Webmail not configured', `${p.configFile} does not exist yet: save the webmail settings first.`)

const DONE: Record<WebmailAction, string> = { start: 'Webmail started', stop: 'Webmail stopped', restart: 'Webmail restarted' }
type WebmailAction = 'start' | 'stop' | 'restart'

/** The supervisor's start, a quick exit reported with where to read why; an already running companion is left as it is. */
async function startByPanel(p: WebmailPaths): Promise<void> {
  if (supervisedPid(p) !== undefined) return
  try {
    await startSupervised(p)
  }
  catch (err) {
    if (err instanceof StartFailedError) throw new ApiError(503, 'WEBMAIL_START_FAILED', 'Webmail did not start', `${p.binary} ${err.message} right after starting; its log (below, or ${p.logFile}) says why.`)
    throw err
  }
}

/** start, stop or restart, one at a time; answers with the status after it. */
async function act(action: WebmailAction): Promise<WebmailActionResponse> {
  const p = paths()
  const install = requireInstall(p)
  await serially(async () => {
    // Checked before a restart's stop, so a restart that cannot start does not leave webmail down.
    if (action !== 'stop' && !existsSync(p.configFile)) throw notConfigured(p)
    if (managedBySystemd(install)) return unitAction(action)
    if (action !== 'stop' && !install.binary) throw apiErrors.capabilityMissing(WEBMAIL_PACKAGE, PACKAGES)
    if (action !== 'start') await stopSupervised(p)
    if (action !== 'stop') await startByPanel(p)
  })
  return { message: DONE[action], status: await status() }
}

/** Its log file when there is one (the supervisor's), else its unit in the journal (systemd's). */
async function readLogs(query: WebmailLogsQuery): Promise<WebmailLogsResponse> {
  const p = paths()
  const install = requireInstall(p)
  const useFile = existsSync(p.logFile) || !managedBySystemd(install)
  const read = !useFile ? await fromJournal([WEBMAIL_UNIT], query) : existsSync(p.logFile) ? await fromFile(p.logFile, query) : { data: [], truncated: false }
  return { source: useFile ? 'file' : 'journald', file: useFile ? p.logFile : null, lines: query.lines, q: query.q, ...read }
}

export const webmail = {
  status,
  readConfig,
  writeConfig,
  regenerateSecret,
  start: () => act('start'),
  stop: () => act('stop'),
  restart: () => act('restart'),
  readLogs,
}
