import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Where the BackendSide WebMail companion lives, under MAILPANEL_ROOT like every other path (so a test
 * root installs a stand-in as the binary). SPEC names no layout for the companion; this one follows
 * its package's names (README "Webmail companion"):
 *   usr/bin/backendside-webmail --config etc/backendside-webmail/config.yaml
 *   {usr/lib,lib,etc}/systemd/system/backendside-webmail.service
 *   run/backendside-webmail/webmail.pid        (the panel's own supervisor, without systemd)
 *   var/log/backendside-webmail/webmail.log    (its stdout and stderr under that supervisor)
 */

export const WEBMAIL_PACKAGE = 'backendside-webmail'
export const WEBMAIL_UNIT = 'backendside-webmail.service'
const UNIT_DIRS = ['etc/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system']

export interface WebmailPaths {
  binary: string
  configFile: string
  pidFile: string
  logFile: string
  /** The unit files that may exist, in systemd's order of precedence. */
  unitCandidates: string[]
}

export function webmailPaths(root: string): WebmailPaths {
  return {
    binary: join(root, 'usr/bin/backendside-webmail'),
    configFile: join(root, 'etc/backendside-webmail/config.yaml'),
    pidFile: join(root, 'run/backendside-webmail/webmail.pid'),
    logFile: join(root, 'var/log/backendside-webmail/webmail.log'),
    unitCandidates: UNIT_DIRS.map(dir => join(root, dir, WEBMAIL_UNIT)),
  }
}

export interface WebmailInstall {
  binary: string | null
  unit: string | null
}

/** What of the companion is on disk: its binary, its unit file. Either one counts as installed. */
export function detectInstall(paths: WebmailPaths): WebmailInstall {
  return {
    binary: existsSync(paths.binary) ? paths.binary : null,
    unit: paths.unitCandidates.find(f => existsSync(f)) ?? null,
  }
}

/** systemd is the init system of this machine (its runtime folder exists: sd_booted(3)). */
export const systemdRuns = (): boolean => existsSync('/run/systemd/system')
