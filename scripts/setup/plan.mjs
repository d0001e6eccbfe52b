// The installer's decisions, kept pure: os-release facts + options + a probe of the machine in,
// the ordered steps out. Same input, same argv arrays, so tests can assert exactly what would run
// on Debian, Ubuntu or a RHEL-family system without touching one. Secrets are never planned: the
// executors make them at run time.
import { join } from 'node:path'
import { osRelease } from '../../lib/os-release.mjs'
import { pgHba } from './pg-hba.mjs'
import { SetupError, validate } from './validate.mjs'

// The mail authentication and anti-spam helpers come with the core (issue 11): OpenDKIM signs,
// OpenDMARC and policyd-spf judge inbound mail, postgrey greylists. ClamAV and spampd stay the admin's choice.
// pg_trgm (the indexed searches, migration 0018) is in Debian's postgresql and in RHEL's postgresql-contrib.
export const PACKAGES = {
  debian: ['postfix', 'postfix-pgsql', 'dovecot-core', 'dovecot-imapd', 'dovecot-lmtpd', 'dovecot-pgsql', 'postgresql', 'openssl',
    'opendkim', 'opendkim-tools', 'opendmarc', 'postfix-policyd-spf-python', 'postgrey'],
  rhel: ['postfix', 'postfix-pgsql', 'dovecot', 'dovecot-pgsql', 'postgresql-server', 'postgresql-contrib', 'openssl',
    'opendkim', 'opendkim-tools', 'opendmarc', 'pypolicyd-spf', 'postgrey'],
}
export const EPEL = 'epel-release'
/** EPEL 10 has no postgrey (changelog Build 051): the setup warns, the panel's capability gate skips greylisting. */
const NOT_ON_EL10 = ['postgrey']
/** The milters' run folders are 0750 for their group: Postfix must be a member to reach the sockets. */
export const MILTER_GROUPS = ['opendkim', 'opendmarc']
export const SERVICES = ['postgresql', 'postfix', 'dovecot']
/** RHEL's PostgreSQL lives where postgresql-setup puts it, whatever --root says: it is the system's, not the panel's. */
export const RHEL_PGDATA = '/var/lib/pgsql/data'
/** The renderer's Dovecot/Postfix config assumes these ids. */
export const VMAIL_ID = 5000
export const CONFIG_KEYS = ['DATABASE_URL', 'JWT_SECRET', 'MAIL_HOSTNAME', 'ADMIN_USER', 'ADMIN_PASSWORD_HASH', 'HTTPS', 'METRICS_TOKEN']
const DEFAULT_DB = 'mailpanel'
const DEFAULT_PG = { host: '127.0.0.1', port: '5432' }
const MODE_BITS = 0o7777
const STORE_MODE = 0o770

/** Every path the installer creates or checks under the root (`/` on a server, a scratch folder in tests). */
export function layout(root) {
  const at = path => join(root, path)
  const configDir = at('etc/backendside-mailpanel')
  const selfSignedDir = join(configDir, 'tls/self-signed')
  return {
    root,
    varDir: at('var'),
    mailDir: at('var/mail'),
    store: at('var/mail/vhosts'),
    etcDir: at('etc'),
    configDir,
    configFile: join(configDir, 'config.env'),
    systemdDir: at('etc/systemd/system'),
    tlsDir: join(configDir, 'tls'),
    selfSignedDir,
    cert: join(selfSignedDir, 'cert.pem'),
    key: join(selfSignedDir, 'key.pem'),
  }
}

const isEl10OrLater = os => osRelease.family(os) === 'rhel' && os.id !== 'fedora' && Number.parseInt(os.versionId, 10) >= 10

/** The packages this OS release can install (PACKAGES without what its repositories lack). */
export function packagesFor(os) {
  const family = osRelease.family(os)
  if (!family) return []
  return isEl10OrLater(os) ? PACKAGES[family].filter(p => !NOT_ON_EL10.includes(p)) : PACKAGES[family]
}

/** What the setup tells the admin before it starts: packages this release does not have, and what that turns off. */
export function planWarnings(os) {
  return isEl10OrLater(os)
    ? [`${os.prettyName || os.id} has no postgrey package (EPEL 10 dropped it): greylisting stays off; the panel skips its wiring until a postgrey binary is on PATH`]
    : []
}

/** Packages whose installed state the probe must report for this OS. */
export function packagesToProbe(os) {
  const family = osRelease.family(os)
  if (family === 'rhel' && os.id !== 'fedora') return [EPEL, ...packagesFor(os)]
  return packagesFor(os)
}

/** The parts of a postgres:// URL, or undefined when there is none. */
export function parseDatabaseUrl(value) {
  if (!value) return undefined
  let url
  try {
    url = new URL(value)
  }
  catch {
    throw new SetupError('DATABASE_URL in config.env is not a URL; fix or remove it and run setup again')
  }
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    host: url.hostname,
    port: url.port || DEFAULT_PG.port,
    name: decodeURIComponent(url.pathname.slice(1)),
  }
}

/**
 * Database and role names: the options, else the ones an earlier run wrote into config.env (so a
 * plain second run finds its own work), else `mailpanel`.
 */
export function resolveNames(options, config) {
  const configured = parseDatabaseUrl(config?.DATABASE_URL)
  const name = validate.dbIdentifier('--db-name', options.dbName ?? configured?.name ?? DEFAULT_DB)
  const user = validate.dbIdentifier('--db-user', options.dbUser ?? configured?.user ?? DEFAULT_DB)
  if (configured && (configured.name !== name || configured.user !== user)) {
    throw new SetupError(`config.env already points the panel at database ${configured.name} as ${configured.user}; run setup with those names or remove DATABASE_URL from it`)
  }
  return { name, user, configured }
}

const done = (id, name) => ({ id, name, changes: false, commands: [] })
const skipped = (id, name, reason) => ({ id, name, changes: false, skipped: reason, commands: [] })
const change = (id, name, commands, action) => ({ id, name, changes: true, commands, ...(action && { action }) })
const isDir = (paths, path) => Boolean(paths[path])
/** `install -d` for whichever of `dirs` are missing: creates them with `mode`, owned by root. */
const missingDirs = (paths, dirs, mode) => {
  const missing = dirs.filter(dir => !isDir(paths, dir))
  return missing.length ? [['install', '-d', '-m', mode, ...missing]] : []
}

function packagesStep(family, os, options, state) {
  const name = 'Install packages'
  if (options.skipPackages) return skipped('packages', name, '--skip-packages')
  const missing = packagesFor(os).filter(pkg => !state.packages[pkg])
  if (family === 'debian') {
    if (!missing.length) return done('packages', name)
    return change('packages', name, [
      // "No configuration": main.cf is the reconciler's, not postfix's postinst's.
      ['debconf-set-selections', options.preseedFile],
      ['apt-get', 'update'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', ...missing],
    ])
  }
  // EPEL carries the optional milters and postgrey; Fedora has them in its own repositories.
  const commands = []
  if (os.id !== 'fedora' && !state.packages[EPEL]) commands.push(['dnf', 'install', '-y', EPEL])
  if (missing.length) commands.push(['dnf', 'install', '-y', ...missing])
  return commands.length ? change('packages', name, commands) : done('packages', name)
}

function rhelDatabaseSteps(state, db) {
  const initdb = state.pgInitialised
    ? done('pg-initdb', 'Initialise PostgreSQL data directory')
    : change('pg-initdb', 'Initialise PostgreSQL data directory', [['postgresql-setup', '--initdb']])
  const hbaFile = join(RHEL_PGDATA, 'pg_hba.conf')
  const hba = state.pgHba !== null && state.pgHba !== undefined && pgHba.has(state.pgHba, db.name, db.user)
    ? done('pg-hba', 'Allow the panel role in pg_hba.conf')
    : change('pg-hba', 'Allow the panel role in pg_hba.conf', [], { type: 'pg-hba', file: hbaFile, database: db.name, user: db.user })
  return [initdb, hba]
}

function servicesStep(state, hbaChanges) {
  const name = 'Enable and start services'
  if (!state.systemd) {
    const reload = hbaChanges ? '; reload PostgreSQL after the pg_hba.conf change' : ''
    return skipped('services', name, `systemd is not running: start ${SERVICES.join(', ')} with your init system${reload}`)
  }
  const pending = SERVICES.filter(svc => !state.services[svc]?.enabled || !state.services[svc]?.active)
  const commands = pending.length ? [['systemctl', 'enable', '--now', ...pending]] : []
  // A PostgreSQL that was already running reads pg_hba.conf again only when told to.
  if (hbaChanges && state.services.postgresql?.active) commands.push(['systemctl', 'reload', 'postgresql'])
  return commands.length ? change('services', name, commands) : done('services', name)
}

function vmailStep(state, paths) {
  const name = 'Create vmail user'
  const { user, group, uidOwner, gidOwner } = state.accounts
  if (user && user.uid !== VMAIL_ID) throw new SetupError(`user vmail exists with uid ${user.uid}; the mail configuration needs uid ${VMAIL_ID}`)
  if (group && group.gid !== VMAIL_ID) throw new SetupError(`group vmail exists with gid ${group.gid}; the mail configuration needs gid ${VMAIL_ID}`)
  if (!user && uidOwner) throw new SetupError(`uid ${VMAIL_ID} belongs to ${uidOwner}; the vmail user needs it`)
  if (!group && gidOwner) throw new SetupError(`gid ${VMAIL_ID} belongs to group ${gidOwner}; the vmail group needs it`)
  const commands = []
  if (!group) commands.push(['groupadd', '-g', String(VMAIL_ID), 'vmail'])
  if (!user) commands.push(['useradd', '-u', String(VMAIL_ID), '-g', 'vmail', '-d', paths.store, '-s', '/usr/sbin/nologin', '-M', 'vmail'])
  return commands.length ? change('vmail', name, commands) : done('vmail', name)
}

function mailStoreStep(state, paths) {
  const name = 'Create mail store'
  const store = state.paths[paths.store]
  const commands = missingDirs(state.paths, [paths.varDir, paths.mailDir], '0755')
  if (!store || (store.mode & MODE_BITS) !== STORE_MODE || store.uid !== VMAIL_ID || store.gid !== VMAIL_ID) {
    commands.push(['install', '-d', '-m', '0770', '-o', 'vmail', '-g', 'vmail', paths.store])
  }
  return commands.length ? change('mail-store', name, commands) : done('mail-store', name)
}

function databaseStep(state, options, db) {
  const name = 'Create database role and database'
  const { reachable, roleExists, databaseOwner } = state.database
  if (reachable && databaseOwner && databaseOwner !== db.user) {
    throw new SetupError(`database ${db.name} exists and belongs to ${databaseOwner}, not ${db.user}; choose another --db-name or --db-user`)
  }
  if (reachable && roleExists && !db.configured) {
    throw new SetupError(`role ${db.user} exists, but config.env has no DATABASE_URL with its password; add DATABASE_URL to config.env (or drop the role) and run setup again`)
  }
  if (reachable && roleExists && databaseOwner === db.user) return done('database', name)
  const pg = options.pgAdminUrl ? parseDatabaseUrl(options.pgAdminUrl) : DEFAULT_PG
  return change('database', name, [], {
    type: 'database',
    database: db.name,
    user: db.user,
    via: options.pgAdminUrl ? '--pg-admin-url' : 'runuser -u postgres -- psql',
    host: pg.host,
    port: pg.port,
  })
}

function configStep(state, paths, hostname) {
  const name = 'Write config.env'
  const commands = [
    ...missingDirs(state.paths, [paths.etcDir], '0755'),
    ...missingDirs(state.paths, [paths.configDir], '0700'),
  ]
  const missing = CONFIG_KEYS.filter(key => !state.config?.[key])
  if (!commands.length && !missing.length) return done('config', name)
  return change('config', name, commands, missing.length ? { type: 'config-env', file: paths.configFile, missing, hostname } : undefined)
}

function tlsStep(state, paths, hostname) {
  const name = 'Create self-signed TLS certificate'
  if (state.paths[paths.cert] && state.paths[paths.key]) return done('tls', name)
  return change('tls', name, [
    ...missingDirs(state.paths, [paths.tlsDir, paths.selfSignedDir], '0700'),
    ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', `/CN=${hostname}`,
      '-addext', `subjectAltName=DNS:${hostname}`, '-keyout', paths.key, '-out', paths.cert],
    ['chmod', '0600', paths.key],
  ])
}

/**
 * The units of the helpers read the files the panel renders (SPEC §5: etc/opendkim/opendkim.conf, …),
 * not the distribution's defaults: a drop-in per packaged unit, and a unit of its own for the second
 * OpenDKIM that signs with Ed25519 (OpenDKIM 2.11 has one signing algorithm per process).
 */
export function helperUnitFiles(root) {
  const at = path => join(root, path)
  const header = '# Written by BackendSide MailPanel\'s setup: the daemon reads the configuration the panel renders.\n'
  const dropIn = unit => join(layout(root).systemdDir, `${unit}.service.d`, 'backendside-mailpanel.conf')
  return [
    { path: dropIn('opendkim'), content: `${header}[Service]\nExecStart=\nExecStart=/usr/sbin/opendkim -x ${at('etc/opendkim/opendkim.conf')}\n` },
    { path: dropIn('opendmarc'), content: `${header}[Service]\nExecStart=\nExecStart=/usr/sbin/opendmarc -c ${at('etc/opendmarc/opendmarc.conf')}\n` },
    // Debian's unit passes $POSTGREY_OPTS from /etc/default/postgrey, Fedora's adds a unix socket: one command line for both.
    { path: dropIn('postgrey'), content: `${header}[Service]\nType=simple\nEnvironmentFile=-${at('etc/postgrey/postgrey.env')}\nExecStart=\nExecStart=/usr/sbin/postgrey $POSTGREY_OPTS\n` },
    // ClamAV and spampd are the admin's to install; their drop-ins wait harmlessly until then.
    { path: dropIn('clamsmtp'), content: `${header}[Service]\nExecStart=\nExecStart=/usr/sbin/clamsmtpd -f ${at('etc/clamsmtp/clamsmtpd.conf')}\n` },
    // Debian's unit reads SPAMPD_ARGS from the file its ExecStartPre makes; a later EnvironmentFile wins.
    { path: dropIn('spampd'), content: `${header}[Service]\nEnvironmentFile=-${at('etc/spampd/spampd.env')}\nPIDFile=${at('run/spampd/spampd.pid')}\n` },
    {
      path: join(layout(root).systemdDir, 'opendkim-ed25519.service'),
      content: `${header}[Unit]\nDescription=OpenDKIM Milter (Ed25519 signatures, BackendSide MailPanel)\nAfter=network-online.target nss-lookup.target\nWants=network-online.target\nBefore=postfix.service\n\n`
        + `[Service]\nType=forking\nUser=opendkim\nGroup=opendkim\nUMask=0007\nRuntimeDirectory=opendkim-ed25519\nRuntimeDirectoryMode=0750\n`
        + `PIDFile=/run/opendkim-ed25519/opendkim.pid\nExecStart=/usr/sbin/opendkim -x ${at('etc/opendkim-ed25519/opendkim.conf')}\nExecReload=/bin/kill -USR1 $MAINPID\nRestart=on-failure\n\n`
        + `[Install]\nWantedBy=multi-user.target\n`,
    },
  ]
}

function mailHelpersStep(os, options, state, root) {
  const name = 'Connect Postfix to the mail authentication helpers'
  const commands = []
  // A group exists already, or its package is installed by this run (the group comes with it).
  const installing = !options.skipPackages && packagesFor(os)
  const groups = MILTER_GROUPS.filter(g => !(state.accounts.postfixGroups ?? []).includes(g))
    .filter(g => state.accounts.helperGroups?.[g] || (installing && installing.includes(g)))
  if (groups.length) commands.push(['usermod', '-a', '-G', groups.join(','), 'postfix'])
  const files = helperUnitFiles(root).filter(f => state.helperFiles?.[f.path] !== f.content)
  // No `enable` here: until the panel has rendered a helper's file the unit cannot start; the
  // reconciler enables and starts each one it wires in (systemctl enable + reload-or-restart).
  const action = files.length ? { type: 'helper-units', files, systemd: state.systemd } : undefined
  return commands.length || action ? change('mail-helpers', name, commands, action) : done('mail-helpers', name)
}

/** The OS family, or the error every unsupported system gets before anything is probed or changed. */
export function supportedFamily(os) {
  const family = osRelease.family(os)
  if (family) return family
  throw new SetupError(`unsupported operating system ${JSON.stringify(os.prettyName || os.id || 'unknown')} (ID=${os.id || '(none)'}, ID_LIKE=${os.idLike.join(' ') || '(none)'}): `
    + 'this installer supports Debian and Ubuntu (apt-get) and RHEL, AlmaLinux, Rocky, CentOS and Fedora (dnf); nothing was changed')
}

/**
 * @param {{ os: { id: string, idLike: string[], versionId: string, prettyName: string },
 *   options: { root: string, hostname?: string, dbName?: string, dbUser?: string, pgAdminUrl?: string, skipPackages?: boolean, preseedFile: string },
 *   state: object }} input
 * @returns {{ family: 'debian' | 'rhel', hostname: string, database: { name: string, user: string }, steps: object[], warnings: string[] }}
 */
export function planSetup({ os, options, state }) {
  const family = supportedFamily(os)
  const rawHostname = options.hostname ?? state.config?.MAIL_HOSTNAME ?? state.hostname
  if (!rawHostname) throw new SetupError('could not work out this machine\'s name (hostname -f); pass --hostname mail.example.com')
  const hostname = validate.hostname(rawHostname)
  const db = resolveNames(options, state.config)
  const paths = layout(options.root)
  const rhelDb = family === 'rhel' ? rhelDatabaseSteps(state, db) : []
  const steps = [
    packagesStep(family, os, options, state),
    ...rhelDb,
    servicesStep(state, rhelDb[1]?.changes ?? false),
    vmailStep(state, paths),
    mailStoreStep(state, paths),
    databaseStep(state, options, db),
    configStep(state, paths, hostname),
    tlsStep(state, paths, hostname),
    mailHelpersStep(os, options, state, options.root),
  ]
  return { family, hostname, database: { name: db.name, user: db.user }, steps, warnings: planWarnings(os) }
}
