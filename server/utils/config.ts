import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { consola } from 'consola'
import { envFile } from '#lib/env-file.mjs'

const MIN_JWT_SECRET_BYTES = 32
const DEFAULT_PORT = 8080

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
  adminUser: string
  adminPasswordHash?: string
  host: string
  port: number
  logFormat: 'text' | 'json'
  mailHostname: string
  policydListen: string
  /** HTTPS=on: the panel serves HTTPS with the stable TLS pair (server/services/tls/panel-https.ts). */
  https: boolean
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

/** Reads config.env, lets the environment override it, and fails closed on a weak or missing JWT secret. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PanelConfig {
  const paths = resolvePaths(env.MAILPANEL_ROOT)
  migrateLegacyEnv(paths)
  const file = existsSync(paths.configFile) ? envFile.parse(readFileSync(paths.configFile, 'utf8')) : {}
  // An empty value counts as unset, in the environment and in the file alike.
  const get = (key: string): string | undefined => (env[key] || file[key]) || undefined

  const jwtSecret = get('JWT_SECRET')
  if (!jwtSecret) throw new ConfigError(`JWT_SECRET is not set (in ${paths.configFile} or the environment); refusing to start`)
  if (Buffer.byteLength(jwtSecret) < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes; refusing to start`)
  }

  const port = Number(get('PORT') ?? DEFAULT_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be 0..65535, got ${get('PORT')}`)
  const logFormat = get('LOG_FORMAT') ?? 'text'
  if (logFormat !== 'text' && logFormat !== 'json') throw new ConfigError(`LOG_FORMAT must be text or json, got ${logFormat}`)
  const https = get('HTTPS') ?? 'off'
  if (https !== 'on' && https !== 'off') throw new ConfigError(`HTTPS must be on or off, got ${https}`)

  return {
    paths,
    databaseUrl: get('DATABASE_URL'),
    jwtSecret,
    apiKey: get('API_KEY'),
    adminUser: get('ADMIN_USER') ?? 'admin',
    adminPasswordHash: get('ADMIN_PASSWORD_HASH'),
    host: get('HOST') ?? '127.0.0.1',
    port,
    logFormat,
    mailHostname: get('MAIL_HOSTNAME') ?? 'localhost',
    policydListen: get('POLICYD_LISTEN') ?? '127.0.0.1:10031',
    https: https === 'on',
  }
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
