import { join } from 'node:path'
import type { PanelConfig } from '#server/utils/config'

/** Where the daemons listen (production defaults; a test instance moves them to loopback high ports), and tuning. */
export interface MailstackSettings {
  /** `address:port` of the MX-facing smtpd. */
  smtp: string
  /** `address:port` of the submission smtpd (STARTTLS + SASL required). */
  submission: string
  /** `address:port` of an extra submission smtpd where STARTTLS is optional; '' = none. */
  submissionPlain: string
  /** The panel's policy daemon as Postfix names it (`inet:127.0.0.1:10031`); '' = not wired. */
  policyService: string
  /** What Postfix does when the policy daemon does not answer: `DUNNO` or a 4xx reply. */
  policyDefaultAction: string
  /** Dovecot listen addresses (`*, ::` or `127.0.0.1`). */
  imapAddress: string
  imapPort: number
  imapsPort: number
  /** Postfix `inet_interfaces` / `inet_protocols`. */
  inetInterfaces: string
  inetProtocols: string
  /** Dovecot's delay before answering a failed login (slows password guessing; 0 in tests). */
  authFailureDelaySeconds: number
}

export interface MailstackDatabase {
  host: string
  port: number
  name: string
  user: string
  password: string
}

/** Everything the templates see (snake_case, as Liquid templates read best). */
export interface MailstackContext {
  root: string
  hostname: string
  db: MailstackDatabase
  tls: { cert_file: string, key_file: string }
  vmail: { uid: number, gid: number, store: string }
  postfix: {
    config_directory: string
    queue_directory: string
    data_directory: string
    maillog_file: string
    inet_interfaces: string
    inet_protocols: string
    smtp_listen: string
    submission_listen: string
    submission_plain_listen: string
  }
  policy: { service: string, default_action: string }
  dovecot: {
    config_directory: string
    instance_name: string
    base_dir: string
    state_dir: string
    log_path: string
    listen: string
    imap_port: number
    imaps_port: number
    auth_failure_delay: number
  }
}

export const DEFAULT_SETTINGS: MailstackSettings = {
  smtp: '25',
  submission: '587',
  submissionPlain: '',
  policyService: '',
  policyDefaultAction: 'DUNNO',
  imapAddress: '*, ::',
  imapPort: 143,
  imapsPort: 993,
  inetInterfaces: 'all',
  inetProtocols: 'all',
  authFailureDelaySeconds: 2,
}

const VMAIL_ID = 5000
const POSTGRES_PORT = 5432

export class MailstackContextError extends Error {}

/** Postfix and Dovecot query the panel's own PostgreSQL over TCP with the credentials in DATABASE_URL. */
function databaseParts(databaseUrl: string | undefined): MailstackDatabase {
  if (!databaseUrl) throw new MailstackContextError('DATABASE_URL is not set: Postfix and Dovecot need a PostgreSQL server they can reach')
  const url = new URL(databaseUrl)
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new MailstackContextError(`DATABASE_URL must be a postgres:// URL`)
  if (!url.hostname) throw new MailstackContextError('DATABASE_URL must name a TCP host (the pgsql maps connect over TCP)')
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : POSTGRES_PORT,
    name: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
  }
}

export const mailstackContext = {
  /**
   * The render context for one machine: every path hangs off MAILPANEL_ROOT (SPEC §2a), so root `/`
   * gives the distribution's locations and a scratch root gives a complete, self-contained instance.
   */
  build(config: Pick<PanelConfig, 'paths' | 'databaseUrl' | 'mailHostname'>, settings: Partial<MailstackSettings> = {}): MailstackContext {
    const l = { ...DEFAULT_SETTINGS, ...settings }
    const root = config.paths.root
    const at = (path: string) => join(root, path)
    return {
      root,
      hostname: config.mailHostname,
      db: databaseParts(config.databaseUrl),
      tls: { cert_file: at('etc/backendside-mailpanel/tls/cert.pem'), key_file: at('etc/backendside-mailpanel/tls/key.pem') },
      vmail: { uid: VMAIL_ID, gid: VMAIL_ID, store: config.paths.mailStore },
      postfix: {
        config_directory: at('etc/postfix'),
        queue_directory: at('var/spool/postfix'),
        data_directory: at('var/lib/postfix'),
        maillog_file: at('var/log/mail.log'),
        inet_interfaces: l.inetInterfaces,
        inet_protocols: l.inetProtocols,
        smtp_listen: l.smtp,
        submission_listen: l.submission,
        submission_plain_listen: l.submissionPlain,
      },
      policy: { service: l.policyService, default_action: l.policyDefaultAction },
      dovecot: {
        config_directory: at('etc/dovecot'),
        instance_name: root === '/' ? 'dovecot' : `dovecot-${root.replace(/[^\w.-]/g, '_')}`,
        base_dir: at('run/dovecot'),
        state_dir: at('var/lib/dovecot'),
        log_path: at('var/log/dovecot.log'),
        listen: l.imapAddress,
        imap_port: l.imapPort,
        imaps_port: l.imapsPort,
        auth_failure_delay: l.authFailureDelaySeconds,
      },
    }
  },
}
