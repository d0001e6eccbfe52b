import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { consola } from 'consola'
import { envFile } from '#lib/env-file.mjs'
import { CONFIG_DEFAULTS, configProblems, ipListEntries } from '#lib/config-rules.mjs'

// Keys whose values may be quoted back in a start-up error; the others hold secrets.
const SHOWN_KEYS = new Set(['ADMIN_USER', 'HOST', 'PORT', 'LOG_FORMAT', 'MAIL_HOSTNAME', 'POLICYD_LISTEN', 'HTTPS', 'MAILSTATS_INTERVAL_S', 'METRICS_ALLOW', 'MAILLOG_SOURCE', 'MAILLOG_JOURNAL_DIR'])

export interface PanelPaths {
  root: string
  configDir: string
  configFile: string
  legacyEnvFile: string
  auditLog: string
  firewallState: string
  mailStore: string
  embeddedDbDir: string
}

export interface PanelConfig {
  paths: PanelPaths
  databaseUrl?: string
  jwtSecret: string
  apiKey?: string
  /** The bearer token that reads GET /metrics and nothing else (unset: only admin credentials do). */
  metricsToken?: string
  /** METRICS_ALLOW: scrapers at these IPs / CIDRs read GET /metrics without a credential (empty: none do). */
  metricsAllow: string[]
  adminUser: string
  adminPasswordHash?: string
  host: string
  port: number
  logFormat: 'text' | 'json'
  mailHostname: string
  policydListen: string
  /** HTTPS=on: the panel serves HTTPS with the stable TLS pair (server/services/tls/panel-https.ts). */
  https: boolean
  /** How often the stats collector reads the mail log. */
  mailstatsIntervalMs: number
  /** Where the stats collector reads Postfix's log: main.cf's maillog_file, or the journal (Postfix then logs to syslog). */
  maillogSource: 'file' | 'journald'
  /** MAILLOG_JOURNAL_DIR: a journal directory to read instead of the system journal. */
  maillogJournalDir?: string
}

export class ConfigError extends Error {}

/** Every on-disk location hangs off MAILPANEL_ROOT, so tests and the demo run the same code in a scratch folder. */
export function resolvePaths(root = process.env.MAILPANEL_ROOT || '/'): PanelPaths {
  const abs = resolve(root)
  const configDir = join(abs, 'etc/backendside-mailpanel')
  return {
    root: abs,
    configDir,
    configFile: join(configDir, 'config.env'),
    legacyEnvFile: join(configDir, '.env'),
    auditLog: join(configDir, 'audit.log'),
    firewallState: join(configDir, 'firewall.json'),
    mailStore: join(abs, 'var/mail/vhosts'),
    embeddedDbDir: join(abs, 'var/lib/backendside-mailpanel/pgdata'),
  }
}

/** Builds before 056 kept the config in `.env`; move it to `config.env` once, keeping its contents. */
function migrateLegacyEnv(paths: PanelPaths): void {
  if (existsSync(paths.legacyEnvFile) && !existsSync(paths.configFile)) {
    renameSync(paths.legacyEnvFile, paths.configFile)
    consola.info(`Migrated ${paths.legacyEnvFile} to ${paths.configFile}`)
  }
}

/** config.env's values with the environment's on top; an empty value counts as unset, in either. */
export function effectiveValues(file: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(file)) if (value) out[key] = value
  for (const key of Object.keys(file)) if (env[key]) out[key] = env[key]
  for (const key of [...Object.keys(CONFIG_DEFAULTS), 'DATABASE_URL', 'JWT_SECRET', 'API_KEY', 'METRICS_TOKEN', 'METRICS_ALLOW', 'MAILLOG_JOURNAL_DIR', 'ADMIN_PASSWORD_HASH']) if (env[key]) out[key] = env[key]
  return out
}

/**
 * The panel's config from config.env values (environment already applied): every value checked with
 * the rules in lib/config-rules.mjs, the ones the installer and a restore apply too. Throws a
 * ConfigError naming each bad key; pure, so a restore can ask "would this start?" before writing.
 */
export function configFromValues(values: Record<string, string>, paths: PanelPaths): PanelConfig {
  const problems = configProblems(values)
  if (problems.length) {
    throw new ConfigError(problems.map(({ key, message }) => {
      if (key === 'JWT_SECRET') return message === 'is required' ? `JWT_SECRET is not set (in ${paths.configFile} or the environment); refusing to start` : `JWT_SECRET ${message}; refusing to start`
      return `${key} ${message}${SHOWN_KEYS.has(key) ? `, got ${values[key]}` : ''}`
    }).join('; '))
  }
  const get = (key: keyof typeof CONFIG_DEFAULTS) => values[key] ?? CONFIG_DEFAULTS[key]
  return {
    paths,
    databaseUrl: values.DATABASE_URL,
    jwtSecret: values.JWT_SECRET!,
    apiKey: values.API_KEY,
    metricsToken: values.METRICS_TOKEN,
    metricsAllow: values.METRICS_ALLOW ? ipListEntries(values.METRICS_ALLOW) : [],
    adminUser: get('ADMIN_USER'),
    adminPasswordHash: values.ADMIN_PASSWORD_HASH,
    host: get('HOST'),
    port: Number(get('PORT')),
    logFormat: get('LOG_FORMAT') as PanelConfig['logFormat'],
    mailHostname: get('MAIL_HOSTNAME'),
    policydListen: get('POLICYD_LISTEN'),
    https: get('HTTPS') === 'on',
    mailstatsIntervalMs: Math.round(Number(get('MAILSTATS_INTERVAL_S')) * 1000),
    maillogSource: get('MAILLOG_SOURCE') as PanelConfig['maillogSource'],
    maillogJournalDir: values.MAILLOG_JOURNAL_DIR,
  }
}

/** Reads config.env, lets the environment override it, and fails closed on any value the rules refuse. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PanelConfig {
  const paths = resolvePaths(env.MAILPANEL_ROOT)
  migrateLegacyEnv(paths)
  const file = existsSync(paths.configFile) ? envFile.parse(readFileSync(paths.configFile, 'utf8')) : {}
  return configFromValues(effectiveValues(file, env), paths)
}

/** Where the panel listens: config.env's HOST/PORT, unless Nitro's own NITRO_HOST/NITRO_PORT say otherwise. */
export function listenAddress(config: PanelConfig, env: NodeJS.ProcessEnv = process.env): { host: string, port: string } {
  return { host: env.NITRO_HOST ?? config.host, port: env.NITRO_PORT ?? String(config.port) }
}

let current: PanelConfig | undefined

/** The loaded config; `reloadConfig()` re-reads it (e.g. after the admin password changes). */
export function useConfig(): PanelConfig {
  current ??= loadConfig()
  return current
}

export function reloadConfig(): PanelConfig {
  current = loadConfig()
  return current
}

/**
 * Rewrites keys in config.env atomically (temp file + rename, mode 0600), keeping every other key,
 * then reloads. Refuses keys the environment overrides: the file change would silently not apply.
 */
export function updateConfigFile(changes: Record<string, string>): PanelConfig {
  const paths = resolvePaths()
  const overridden = Object.keys(changes).filter(key => process.env[key])
  if (overridden.length) throw new ConfigError(`${overridden.join(', ')} is set in the environment, which overrides config.env`)
  const existing = existsSync(paths.configFile) ? envFile.parse(readFileSync(paths.configFile, 'utf8')) : {}
  envFile.writeAtomic(paths.configFile, envFile.stringify({ ...existing, ...changes }))
  return reloadConfig()
}
