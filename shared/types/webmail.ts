import type { WebmailConfig } from '#shared/schemas/webmail'
import type { LogsResponse } from './logs'

// /api/v1/webmail/* (server/services/webmail): the BackendSide WebMail companion, when installed.

/** How the panel starts and stops it: systemd when it runs and the unit is installed, else the panel's own supervisor. */
export type WebmailManager = 'systemd' | 'panel'

export interface WebmailStatus {
  installed: boolean
  /** The package that provides it (for the "not installed" notice). */
  package: string
  /** What was found under MAILPANEL_ROOT (absolute paths), null where nothing is. */
  binary: string | null
  unit: string | null
  manager: WebmailManager
  running: boolean
  pid: number | null
  /** What `backendside-webmail --version` printed (first line), or null. */
  version: string | null
  config_file: string
  log_file: string
}

/** GET /api/v1/webmail/config: the settings, and the session secret only as whether it is set and a fingerprint. */
export interface WebmailConfigResponse extends WebmailConfig {
  /** false: no config file yet; the values are the defaults a save would write. */
  exists: boolean
  session_secret_set: boolean
  /** The first 12 hex digits of the secret's SHA-256: tells two secrets apart, reveals nothing of either. */
  session_secret_fingerprint: string | null
}

export interface WebmailActionResponse {
  message: string
  status: WebmailStatus
}

export interface WebmailRegenResponse {
  message: string
  session_secret_fingerprint: string
}

export type WebmailLogsResponse = Omit<LogsResponse, 'service'>
