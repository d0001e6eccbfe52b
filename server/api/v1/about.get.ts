import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { promisify } from 'node:util'
import { osRelease } from '#lib/os-release.mjs'
import { findBinary } from '#server/mailstack/capabilities'
import { defineApiHandler } from '#server/request/api-handler'
import { useConfig } from '#server/utils/config'

const exec = promisify(execFile)
const VERSION_TIMEOUT_MS = 5_000
const NOT_INSTALLED = 'not installed'

/** `postconf -d -h mail_version` (-d: no main.cf needed) and `dovecot --version`; capability-gated like the reconciler. */
async function daemonVersion(binary: string, args: string[]): Promise<string> {
  const path = findBinary(binary)
  if (!path) return NOT_INSTALLED
  try {
    const { stdout } = await exec(path, args, { timeout: VERSION_TIMEOUT_MS })
    return stdout.trim().split(/\s+/)[0] || 'unknown'
  }
  catch {
    return 'unknown'
  }
}

async function osPrettyName(): Promise<string> {
  try {
    const os = osRelease.parse(await readFile('/etc/os-release', 'utf8'))
    return os.prettyName || os.id || 'unknown'
  }
  catch {
    return 'unknown'
  }
}

/** GET /api/v1/about — app version and build, OS pretty name, Postfix and Dovecot versions, hostnames (the About modal). */
export default defineApiHandler(async () => {
  const { version, build } = useRuntimeConfig().public
  const [os, postfix, dovecot] = await Promise.all([
    osPrettyName(),
    daemonVersion('postconf', ['-d', '-h', 'mail_version']),
    daemonVersion('dovecot', ['--version']),
  ])
  return { version, build, os, postfix, dovecot, hostname: hostname(), mail_hostname: useConfig().mailHostname }
})
