import { join } from 'node:path'
import type { PanelPaths } from '#server/utils/config'
import { hostnames } from './hostname'

export interface TlsPaths {
  dir: string
  /** The stable pair Postfix, Dovecot and the panel's HTTPS read (the reconciler copies the active certificate there). */
  cert: string
  key: string
  selfSigned: { dir: string, cert: string, key: string }
  uploads: string
  certbot: { configDir: string, workDir: string, logsDir: string, webroot: string }
}

/**
 * Where certificates live, all under MAILPANEL_ROOT. With root `/` certbot's folders are its own
 * defaults (/etc/letsencrypt, /var/lib/letsencrypt, /var/log/letsencrypt), so the distribution's
 * renewal timer and the panel see the same lineages.
 */
export function tlsPaths(paths: PanelPaths): TlsPaths {
  const dir = join(paths.configDir, 'tls')
  const selfSigned = join(dir, 'self-signed')
  return {
    dir,
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
    selfSigned: { dir: selfSigned, cert: join(selfSigned, 'cert.pem'), key: join(selfSigned, 'key.pem') },
    uploads: join(dir, 'uploads'),
    certbot: {
      configDir: join(paths.root, 'etc/letsencrypt'),
      workDir: join(paths.root, 'var/lib/letsencrypt'),
      logsDir: join(paths.root, 'var/log/letsencrypt'),
      webroot: join(paths.root, 'var/lib/backendside-mailpanel/acme-webroot'),
    },
  }
}

/** certbot's lineage files for a hostname (`--cert-name` is always the hostname). */
export function certbotLive(paths: TlsPaths, hostname: string): { cert: string, key: string } {
  const dir = join(paths.certbot.configDir, 'live', hostnames.safe(hostname))
  return { cert: join(dir, 'fullchain.pem'), key: join(dir, 'privkey.pem') }
}
