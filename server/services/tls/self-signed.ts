import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { CheckedPair } from './pem'
import { hostnames } from './hostname'
import type { TlsPaths } from './paths'
import { readStoredPair } from './stored'

// 825 days: the longest validity Apple's TLS clients still accept for a certificate they are told to trust.
const VALIDITY_DAYS = 825
const OPENSSL_TIMEOUT_MS = 30_000

/** `openssl req -x509 …` into a private temp folder, then both files renamed into place (key first). */
function create(paths: TlsPaths, hostname: string): void {
  const name = hostnames.safe(hostname)
  mkdirSync(paths.selfSigned.dir, { recursive: true, mode: 0o700 })
  const tmp = mkdtempSync(join(paths.dir, '.self-signed-'))
  try {
    const cert = join(tmp, 'cert.pem')
    const key = join(tmp, 'key.pem')
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(VALIDITY_DAYS),
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
      '-keyout', key, '-out', cert,
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: OPENSSL_TIMEOUT_MS })
    chmodSync(key, 0o600)
    chmodSync(cert, 0o644)
    renameSync(key, paths.selfSigned.key)
    renameSync(cert, paths.selfSigned.cert)
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl is not installed (package openssl); cannot create the self-signed certificate')
    throw err
  }
  finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * The day-0 pair under tls/self-signed/: the setup installer's if it is there and usable, else a
 * fresh one for `hostname` (MAIL_HOSTNAME). Synchronous, because the HTTPS listener needs it
 * before Nitro starts listening; it runs once per install.
 */
export function ensureSelfSigned(paths: TlsPaths, hostname: string): CheckedPair {
  const existing = readStoredPair(paths.selfSigned.cert, paths.selfSigned.key)
  if (existing) return existing
  create(paths, hostnames.isValid(hostname) ? hostname : 'localhost')
  const made = readStoredPair(paths.selfSigned.cert, paths.selfSigned.key)
  if (!made) throw new Error(`openssl wrote an unusable certificate to ${paths.selfSigned.dir}`)
  return made
}
