import { join } from 'node:path'
import type { PanelConfig } from '#server/utils/config'
import type { AntispamSettingsRow } from '#shared/schemas/antispam'
import type { DkimAlgorithm } from '#shared/types/dkim'
import type { MailComponentName } from '#shared/types/mailstack'
import type { WhitelistKind } from '#shared/types/antispam'

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
  /** `address:port` of postgrey's policy service. */
  greylistListen: string
  /** `address:port` clamsmtpd listens on (Postfix's content_filter), the reinjection smtpd, and spampd. */
  clamsmtpListen: string
  reinjectListen: string
  spampdListen: string
}

/** A DKIM key the reconciler writes (active and published ones; retired keys have no files). */
export interface DkimKeyInput {
  domain: string
  selector: string
  algorithm: DkimAlgorithm
  /** Signs the domain's mail (in OpenDKIM's KeyTable and SigningTable). */
  signing: boolean
  private_key: string
}

/** What the database says beyond the listen settings: anti-spam switches, the whitelist, DKIM keys. */
export interface MailstackData {
  antispam: AntispamSettingsRow
  whitelist: { kind: WhitelistKind, value: string }[]
  dkimKeys: DkimKeyInput[]
}

export const DEFAULT_ANTISPAM: AntispamSettingsRow = {
  dnsbl_enabled: true,
  dnsbl_zones: ['zen.spamhaus.org=127.0.0.[2..11]'],
  greylist_enabled: true,
  greylist_delay: 300,
  greylist_max_age_days: 35,
  greylist_auto_whitelist: 5,
  spf_enabled: true,
  dmarc_enabled: true,
  clamav_enabled: true,
  spampd_enabled: true,
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
  /** The admin's anti-spam switches as stored (a feature also needs its binary: see `active`). */
  antispam: AntispamSettingsRow
  /** The whitelist, split by where each kind is looked up. */
  whitelist: { client_networks: string[], client_domains: string[], recipients: string[] }
  opendkim: {
    config_directory: string
    keys_directory: string
    /** Postfix's milter address (`unix:/run/opendkim/opendkim.sock`) and OpenDKIM's own spelling (`local:…`). */
    socket_path: string
    pid_file: string
    keys: (DkimKeyInput & { key_file: string })[]
  }
  /**
   * The second OpenDKIM, signing ed25519-sha256 (2.11 has one SignatureAlgorithm per process): its own
   * folder, socket and pid file; it reads the Ed25519 keys from `opendkim.keys` (the shared keys folder).
   */
  opendkim_ed25519: { config_directory: string, socket_path: string, pid_file: string }
  opendmarc: { config_directory: string, socket_path: string, pid_file: string }
  postgrey: { config_directory: string, listen: string, pid_file: string, db_directory: string }
  policyd_spf: { config_directory: string }
  clamsmtp: { config_directory: string, listen: string, reinject: string, pid_file: string, clamd_socket: string, temp_directory: string }
  spampd: { config_directory: string, listen: string, pid_file: string }
  /**
   * Which components are installed (their binary is on PATH) and wanted by the settings: what
   * main.cf and master.cf wire in. Filled in by the reconciler after its capability check.
   */
  active: Record<MailComponentName, boolean>
  /** Where each installed component's binary was found (master.cf spawns policyd-spf by its path). */
  binaries: Record<MailComponentName, string>
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
  greylistListen: '127.0.0.1:10023',
  clamsmtpListen: '127.0.0.1:10025',
  reinjectListen: '127.0.0.1:10026',
  spampdListen: '127.0.0.1:10027',
}

const NOTHING_ACTIVE: Record<MailComponentName, boolean> = {
  'postfix': false, 'dovecot': false, 'opendkim': false, 'opendkim-ed25519': false, 'opendmarc': false, 'postgrey': false, 'policyd-spf': false, 'clamsmtp': false, 'spampd': false,
}

function splitWhitelist(entries: MailstackData['whitelist']): MailstackContext['whitelist'] {
  const of = (...kinds: WhitelistKind[]) => entries.filter(e => kinds.includes(e.kind)).map(e => e.value).sort()
  return { client_networks: of('ip', 'cidr'), client_domains: of('domain'), recipients: of('email') }
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

/** The folder the reconciler renders main.cf and master.cf into: what postqueue/postsuper get as `-c`. */
export const postfixConfigDirectory = (root: string): string => join(root, 'etc/postfix')

/** Where the rendered main.cf has Postfix write its log (`maillog_file`): what the stats collector reads (MAILLOG_SOURCE=file). */
export const maillogFile = (root: string): string => join(root, 'var/log/mail.log')

export const mailstackContext = {
  /**
   * The render context for one machine: every path hangs off MAILPANEL_ROOT (SPEC §2a), so root `/`
   * gives the distribution's locations and a scratch root gives a complete, self-contained instance.
   */
  build(config: Pick<PanelConfig, 'paths' | 'databaseUrl' | 'mailHostname'> & Partial<Pick<PanelConfig, 'maillogSource'>>, settings: Partial<MailstackSettings> = {}, data: Partial<MailstackData> = {}): MailstackContext {
    const l = { ...DEFAULT_SETTINGS, ...settings }
    const root = config.paths.root
    const at = (path: string) => join(root, path)
    const keysDir = at('etc/opendkim/keys')
    return {
      root,
      hostname: config.mailHostname,
      db: databaseParts(config.databaseUrl),
      tls: { cert_file: at('etc/backendside-mailpanel/tls/cert.pem'), key_file: at('etc/backendside-mailpanel/tls/key.pem') },
      vmail: { uid: VMAIL_ID, gid: VMAIL_ID, store: config.paths.mailStore },
      postfix: {
        config_directory: postfixConfigDirectory(root),
        queue_directory: at('var/spool/postfix'),
        data_directory: at('var/lib/postfix'),
        // MAILLOG_SOURCE=journald: no maillog_file, so Postfix logs to syslog (the journal) as packaged.
        maillog_file: config.maillogSource === 'journald' ? '' : maillogFile(root),
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
      antispam: data.antispam ?? DEFAULT_ANTISPAM,
      whitelist: splitWhitelist(data.whitelist ?? []),
      opendkim: {
        config_directory: at('etc/opendkim'),
        keys_directory: keysDir,
        socket_path: at('run/opendkim/opendkim.sock'),
        pid_file: at('run/opendkim/opendkim.pid'),
        keys: (data.dkimKeys ?? []).map(k => ({ ...k, key_file: join(keysDir, k.domain, `${k.selector}.private`) })),
      },
      opendkim_ed25519: {
        config_directory: at('etc/opendkim-ed25519'),
        socket_path: at('run/opendkim-ed25519/opendkim.sock'),
        pid_file: at('run/opendkim-ed25519/opendkim.pid'),
      },
      opendmarc: { config_directory: at('etc/opendmarc'), socket_path: at('run/opendmarc/opendmarc.sock'), pid_file: at('run/opendmarc/opendmarc.pid') },
      postgrey: { config_directory: at('etc/postgrey'), listen: l.greylistListen, pid_file: at('run/postgrey/postgrey.pid'), db_directory: at('var/lib/postgrey') },
      policyd_spf: { config_directory: at('etc/postfix-policyd-spf-python') },
      clamsmtp: {
        config_directory: at('etc/clamsmtp'),
        listen: l.clamsmtpListen,
        reinject: l.reinjectListen,
        pid_file: at('run/clamsmtp/clamsmtpd.pid'),
        clamd_socket: at('run/clamav/clamd.ctl'),
        temp_directory: at('var/spool/clamsmtp'),
      },
      spampd: { config_directory: at('etc/spampd'), listen: l.spampdListen, pid_file: at('run/spampd/spampd.pid') },
      active: { ...NOTHING_ACTIVE },
      binaries: Object.fromEntries(Object.keys(NOTHING_ACTIVE).map(k => [k, ''])) as Record<MailComponentName, string>,
    }
  },
}
