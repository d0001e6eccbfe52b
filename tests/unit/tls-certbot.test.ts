import { describe, expect, it } from 'vitest'
import { certbot } from '#server/services/tls/certbot'
import { certbotLive, tlsPaths } from '#server/services/tls/paths'
import { resolvePaths } from '#server/utils/config'

const paths = tlsPaths(resolvePaths('/srv/panel'))
const DIRS = ['--config-dir', '/srv/panel/etc/letsencrypt', '--work-dir', '/srv/panel/var/lib/letsencrypt', '--logs-dir', '/srv/panel/var/log/letsencrypt']

describe('certbot argument arrays', () => {
  it('standalone issue with an e-mail address, default port 80', () => {
    expect(certbot.issueArgs(paths, { hostname: 'mail.example.com', email: 'ops@example.com', method: 'standalone' })).toEqual([
      'certonly', '--non-interactive', '--agree-tos', '--email', 'ops@example.com',
      '--cert-name', 'mail.example.com', '-d', 'mail.example.com', '--keep-until-expiring',
      '--standalone', '--http-01-port', '80', ...DIRS,
    ])
  })

  it('standalone issue on another port, without an e-mail address', () => {
    expect(certbot.issueArgs(paths, { hostname: 'mail.example.com', method: 'standalone', httpPort: 8088 })).toEqual([
      'certonly', '--non-interactive', '--agree-tos', '--register-unsafely-without-email',
      '--cert-name', 'mail.example.com', '-d', 'mail.example.com', '--keep-until-expiring',
      '--standalone', '--http-01-port', '8088', ...DIRS,
    ])
  })

  it('webroot issue into the panel-managed challenge folder', () => {
    expect(certbot.issueArgs(paths, { hostname: 'mail.example.com', method: 'webroot' })).toEqual([
      'certonly', '--non-interactive', '--agree-tos', '--register-unsafely-without-email',
      '--cert-name', 'mail.example.com', '-d', 'mail.example.com', '--keep-until-expiring',
      '--webroot', '-w', '/srv/panel/var/lib/backendside-mailpanel/acme-webroot', ...DIRS,
    ])
  })

  it('renew (forced or not) and delete name the lineage', () => {
    expect(certbot.renewArgs(paths, 'mail.example.com', false)).toEqual(['renew', '--non-interactive', '--no-random-sleep-on-renew', '--cert-name', 'mail.example.com', ...DIRS])
    expect(certbot.renewArgs(paths, 'mail.example.com', true)).toEqual(['renew', '--non-interactive', '--no-random-sleep-on-renew', '--cert-name', 'mail.example.com', '--force-renewal', ...DIRS])
    expect(certbot.deleteArgs(paths, 'mail.example.com')).toEqual(['delete', '--non-interactive', '--cert-name', 'mail.example.com', ...DIRS])
  })

  it('refuses a hostile hostname even when the caller skipped validation', () => {
    for (const hostname of ['../../etc', 'a;b', '$(id)', '--help', '*.example.com', 'mail.example.com -d evil.com']) {
      expect(() => certbot.issueArgs(paths, { hostname, method: 'standalone' }), hostname).toThrow()
      expect(() => certbot.renewArgs(paths, hostname, false), hostname).toThrow()
      expect(() => certbotLive(paths, hostname), hostname).toThrow()
    }
  })

  it('finds the lineage where certbot keeps it', () => {
    expect(certbotLive(paths, 'mail.example.com')).toEqual({
      cert: '/srv/panel/etc/letsencrypt/live/mail.example.com/fullchain.pem',
      key: '/srv/panel/etc/letsencrypt/live/mail.example.com/privkey.pem',
    })
  })
})
