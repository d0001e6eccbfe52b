import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { osRelease } from '#lib/os-release.mjs'
import { helperUnitFiles, layout, packagesToProbe, planSetup } from '../../scripts/setup/plan.mjs'
import { pgHba } from '../../scripts/setup/pg-hba.mjs'
import { SetupError } from '../../scripts/setup/validate.mjs'

const ROOT = '/srv/mailpanel'
const PRESEED = '/opt/mailpanel/scripts/setup/postfix.debconf'
const P = layout(ROOT)
const DIR = 0o40000
const RHEL_HBA = [
  '# PostgreSQL Client Authentication Configuration File',
  '# TYPE  DATABASE        USER            ADDRESS                 METHOD',
  '',
  'local   all             all                                     peer',
  'host    all             all             127.0.0.1/32            ident',
  'host    all             all             ::1/128                 ident',
  '',
].join('\n')

type Os = ReturnType<typeof osRelease.parse>
type PathState = { mode: number, uid: number, gid: number } | null
/** What probe.mjs reports about a machine. */
interface State {
  packages: Record<string, boolean>
  systemd: boolean
  services: Record<string, { enabled: boolean, active: boolean }>
  pgInitialised: boolean
  pgHba: string | null
  accounts: {
    user: { uid: number, gid: number } | null
    group: { gid: number } | null
    uidOwner: string | null
    gidOwner: string | null
    postfixGroups?: string[] | null
    helperGroups?: Record<string, boolean>
  }
  helperFiles?: Record<string, string | null>
  paths: Record<string, PathState>
  config: Record<string, string> | null
  hostname?: string
  database: { reachable: boolean, roleExists: boolean, databaseOwner: string }
}
type Step = { id: string, name: string, changes: boolean, skipped?: string, commands: string[][], action?: Record<string, unknown> }

const fixture = (name: string): Os => osRelease.parse(readFileSync(`tests/fixtures/os-release/${name}`, 'utf8'))

/** A machine with nothing on it yet: no packages, no PostgreSQL running, no vmail, no files. */
function fresh(os: Os): State {
  return {
    packages: Object.fromEntries(packagesToProbe(os).map((p: string) => [p, false])),
    systemd: true,
    services: {},
    pgInitialised: false,
    pgHba: null,
    accounts: { user: null, group: null, uidOwner: null, gidOwner: null },
    paths: {},
    config: null,
    hostname: 'mail.example.com',
    database: { reachable: false, roleExists: false, databaseOwner: '' },
  }
}

/** The same machine after a successful run: the probe sees everything in place. */
function installed(os: Os): State {
  const dir = (mode: number, id = 0) => ({ mode: DIR | mode, uid: id, gid: id })
  const file = { mode: 0o100600, uid: 0, gid: 0 }
  const running = { enabled: true, active: true }
  return {
    ...fresh(os),
    packages: Object.fromEntries(packagesToProbe(os).map((p: string) => [p, true])),
    services: { postgresql: running, postfix: running, dovecot: running },
    pgInitialised: true,
    pgHba: pgHba.withPanelRules(RHEL_HBA, 'mailpanel', 'mailpanel'),
    accounts: {
      user: { uid: 5000, gid: 5000 }, group: { gid: 5000 }, uidOwner: 'vmail', gidOwner: 'vmail',
      postfixGroups: ['postfix', 'opendkim', 'opendmarc'], helperGroups: { opendkim: true, opendmarc: true },
    },
    helperFiles: Object.fromEntries(helperUnitFiles(ROOT).map((f: { path: string, content: string }) => [f.path, f.content])),
    paths: {
      [P.varDir]: dir(0o755), [P.mailDir]: dir(0o2775), [P.store]: dir(0o770, 5000), [P.etcDir]: dir(0o755),
      [P.configDir]: dir(0o700), [P.tlsDir]: dir(0o700), [P.selfSignedDir]: dir(0o700), [P.cert]: file, [P.key]: file,
    },
    config: {
      DATABASE_URL: 'postgres://mailpanel:0123abcd@127.0.0.1:5432/mailpanel',
      JWT_SECRET: 'a'.repeat(64),
      MAIL_HOSTNAME: 'mail.example.com',
      ADMIN_USER: 'admin',
      ADMIN_PASSWORD_HASH: '$2b$12$hash',
      HTTPS: 'on',
      METRICS_TOKEN: 'b'.repeat(64),
    },
    database: { reachable: true, roleExists: true, databaseOwner: 'mailpanel' },
  }
}

function plan(os: Os, state: State, options: Record<string, unknown> = {}) {
  const result = planSetup({ os, options: { root: ROOT, preseedFile: PRESEED, ...options }, state })
  return { ...result, steps: result.steps as Step[] }
}

const step = (steps: Step[], id: string): Step => {
  const found = steps.find(s => s.id === id)
  if (!found) throw new Error(`no step ${id}`)
  return found
}

const allCommands = (steps: Step[]) => steps.flatMap(s => s.commands)

/** Steps every family shares, as they look on a fresh machine (commands only; actions checked separately). */
const COMMON_FRESH = {
  'vmail': [
    ['groupadd', '-g', '5000', 'vmail'],
    ['useradd', '-u', '5000', '-g', 'vmail', '-d', `${ROOT}/var/mail/vhosts`, '-s', '/usr/sbin/nologin', '-M', 'vmail'],
  ],
  'mail-store': [
    ['install', '-d', '-m', '0755', `${ROOT}/var`, `${ROOT}/var/mail`],
    ['install', '-d', '-m', '0770', '-o', 'vmail', '-g', 'vmail', `${ROOT}/var/mail/vhosts`],
  ],
  'database': [],
  'config': [
    ['install', '-d', '-m', '0755', `${ROOT}/etc`],
    ['install', '-d', '-m', '0700', `${ROOT}/etc/backendside-mailpanel`],
  ],
  'tls': [
    ['install', '-d', '-m', '0700', `${ROOT}/etc/backendside-mailpanel/tls`, `${ROOT}/etc/backendside-mailpanel/tls/self-signed`],
    ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', '/CN=mail.example.com',
      '-addext', 'subjectAltName=DNS:mail.example.com',
      '-keyout', `${ROOT}/etc/backendside-mailpanel/tls/self-signed/key.pem`, '-out', `${ROOT}/etc/backendside-mailpanel/tls/self-signed/cert.pem`],
    ['chmod', '0600', `${ROOT}/etc/backendside-mailpanel/tls/self-signed/key.pem`],
  ],
}

const DEBIAN_INSTALL = [
  ['debconf-set-selections', PRESEED],
  ['apt-get', 'update'],
  ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends',
    'postfix', 'postfix-pgsql', 'dovecot-core', 'dovecot-imapd', 'dovecot-lmtpd', 'dovecot-pgsql', 'postgresql', 'openssl',
    'opendkim', 'opendkim-tools', 'opendmarc', 'postfix-policyd-spf-python', 'postgrey'],
]
const RHEL_PACKAGES = ['postfix', 'postfix-pgsql', 'dovecot', 'dovecot-pgsql', 'postgresql-server', 'postgresql-contrib', 'openssl', 'opendkim', 'opendkim-tools', 'opendmarc', 'pypolicyd-spf', 'postgrey']

describe('osRelease.parse and family', () => {
  it.each([
    ['debian-12', 'debian', [], '12', 'Debian GNU/Linux 12 (bookworm)', 'debian'],
    ['ubuntu-24.04', 'ubuntu', ['debian'], '24.04', 'Ubuntu 24.04.1 LTS', 'debian'],
    ['almalinux-9', 'almalinux', ['rhel', 'centos', 'fedora'], '9.4', 'AlmaLinux 9.4 (Seafoam Ocelot)', 'rhel'],
    ['rocky-9', 'rocky', ['rhel', 'centos', 'fedora'], '9.4', 'Rocky Linux 9.4 (Blue Onyx)', 'rhel'],
    ['centos-stream-9', 'centos', ['rhel', 'fedora'], '9', 'CentOS Stream 9', 'rhel'],
    ['fedora-40', 'fedora', [], '40', 'Fedora Linux 40 (Server Edition)', 'rhel'],
    ['unknown', 'alpine', [], '3.20.3', 'Alpine Linux v3.20', undefined],
  ])('%s → ID %s, ID_LIKE %j, VERSION_ID %s, family %s', (name, id, idLike, versionId, prettyName, family) => {
    const os = fixture(name)
    expect(os).toEqual({ id, idLike, versionId, prettyName })
    expect(osRelease.family(os)).toBe(family)
  })

  it('reads single and double quotes with escapes, skips comments and blank lines, ignores junk lines', () => {
    const os = osRelease.parse([
      '# ID=commented-out',
      '',
      '  ID=\'ol\'  ',
      'ID_LIKE="Fedora"',
      'PRETTY_NAME="Oracle \\"Linux\\" 9 \\$x"',
      'not a key value line',
      'VERSION_ID=9.4',
    ].join('\r\n'))
    expect(os).toEqual({ id: 'ol', idLike: ['fedora'], versionId: '9.4', prettyName: 'Oracle "Linux" 9 $x' })
    // A derivative the table does not name follows its ID_LIKE.
    expect(osRelease.family(os)).toBe('rhel')
    expect(osRelease.family(osRelease.parse('ID=linuxmint\nID_LIKE="ubuntu debian"'))).toBe('debian')
    expect(osRelease.family(osRelease.parse(''))).toBeUndefined()
  })
})

describe('planSetup on a fresh machine', () => {
  it.each(['debian-12', 'ubuntu-24.04'])('%s: apt-get with the postfix preseed, then the common steps', (name) => {
    const { family, steps } = plan(fixture(name), fresh(fixture(name)))
    expect(family).toBe('debian')
    expect(steps.map(s => s.id)).toEqual(['packages', 'services', 'vmail', 'mail-store', 'database', 'config', 'tls', 'mail-helpers'])
    expect(steps.every(s => s.changes)).toBe(true)
    expect(step(steps, 'packages').commands).toEqual(DEBIAN_INSTALL)
    expect(step(steps, 'services').commands).toEqual([['systemctl', 'enable', '--now', 'postgresql', 'postfix', 'dovecot']])
    for (const [id, commands] of Object.entries(COMMON_FRESH)) expect(step(steps, id).commands, id).toEqual(commands)
    expect(allCommands(steps).some(argv => argv.includes('dnf'))).toBe(false)
  })

  it.each(['almalinux-9', 'rocky-9', 'centos-stream-9'])('%s: EPEL, dnf, postgresql-setup --initdb, pg_hba.conf, systemctl enable --now', (name) => {
    const { family, steps } = plan(fixture(name), fresh(fixture(name)))
    expect(family).toBe('rhel')
    expect(steps.map(s => s.id)).toEqual(['packages', 'pg-initdb', 'pg-hba', 'services', 'vmail', 'mail-store', 'database', 'config', 'tls', 'mail-helpers'])
    expect(step(steps, 'packages').commands).toEqual([['dnf', 'install', '-y', 'epel-release'], ['dnf', 'install', '-y', ...RHEL_PACKAGES]])
    expect(step(steps, 'pg-initdb').commands).toEqual([['postgresql-setup', '--initdb']])
    expect(step(steps, 'pg-hba')).toMatchObject({ changes: true, commands: [], action: { type: 'pg-hba', file: '/var/lib/pgsql/data/pg_hba.conf', database: 'mailpanel', user: 'mailpanel' } })
    // PostgreSQL is not running yet, so starting it reads the new pg_hba.conf: no reload.
    expect(step(steps, 'services').commands).toEqual([['systemctl', 'enable', '--now', 'postgresql', 'postfix', 'dovecot']])
    for (const [id, commands] of Object.entries(COMMON_FRESH)) expect(step(steps, id).commands, id).toEqual(commands)
  })

  it.each(['almalinux-10', 'rocky-10'])('%s: EPEL 10 has no postgrey: left out of dnf, with a warning; the other helpers still come', (name) => {
    const os = fixture(name)
    const result = plan(os, fresh(os))
    expect(step(result.steps, 'packages').commands).toEqual([['dnf', 'install', '-y', 'epel-release'], ['dnf', 'install', '-y', ...RHEL_PACKAGES.filter(p => p !== 'postgrey')]])
    expect(result.warnings).toEqual([expect.stringMatching(/has no postgrey package.*greylisting stays off/)])
    expect(packagesToProbe(os)).not.toContain('postgrey')
    expect(plan(fixture('almalinux-9'), fresh(fixture('almalinux-9'))).warnings).toEqual([])
  })

  it.each(['debian-12', 'almalinux-9'])('%s: Postfix joins the milters\' groups, and the helpers\' units read the rendered files', (name) => {
    const os = fixture(name)
    const helpers = step(plan(os, fresh(os)).steps, 'mail-helpers')
    expect(helpers.commands).toEqual([['usermod', '-a', '-G', 'opendkim,opendmarc', 'postfix']])
    const files = (helpers.action as { files: { path: string, content: string }[], systemd: boolean }).files
    expect(files.map(f => f.path)).toEqual([
      `${ROOT}/etc/systemd/system/opendkim.service.d/backendside-mailpanel.conf`,
      `${ROOT}/etc/systemd/system/opendmarc.service.d/backendside-mailpanel.conf`,
      `${ROOT}/etc/systemd/system/postgrey.service.d/backendside-mailpanel.conf`,
      `${ROOT}/etc/systemd/system/clamsmtp.service.d/backendside-mailpanel.conf`,
      `${ROOT}/etc/systemd/system/spampd.service.d/backendside-mailpanel.conf`,
      `${ROOT}/etc/systemd/system/opendkim-ed25519.service`,
    ])
    expect(files[0]!.content).toContain(`ExecStart=\nExecStart=/usr/sbin/opendkim -x ${ROOT}/etc/opendkim/opendkim.conf\n`)
    expect(files[1]!.content).toContain(`ExecStart=/usr/sbin/opendmarc -c ${ROOT}/etc/opendmarc/opendmarc.conf\n`)
    expect(files[2]!.content).toContain(`EnvironmentFile=-${ROOT}/etc/postgrey/postgrey.env\n`)
    expect(files[3]!.content).toContain(`ExecStart=/usr/sbin/clamsmtpd -f ${ROOT}/etc/clamsmtp/clamsmtpd.conf\n`)
    expect(files[4]!.content).toContain(`EnvironmentFile=-${ROOT}/etc/spampd/spampd.env\n`)
    expect(files[5]!.content).toContain(`ExecStart=/usr/sbin/opendkim -x ${ROOT}/etc/opendkim-ed25519/opendkim.conf\n`)
    expect(helpers.action).toMatchObject({ type: 'helper-units', systemd: true })
  })

  it('mail helpers: with --skip-packages and no milter installed, no usermod (the groups do not exist); a changed drop-in is rewritten alone', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    state.accounts = { ...state.accounts, postfixGroups: ['postfix'], helperGroups: { opendkim: false, opendmarc: true } }
    const first = helperUnitFiles(ROOT)[0] as { path: string }
    state.helperFiles = { ...state.helperFiles, [first.path]: 'edited by hand\n' }
    const helpers = step(plan(os, state, { skipPackages: true }).steps, 'mail-helpers')
    expect(helpers.commands).toEqual([['usermod', '-a', '-G', 'opendmarc', 'postfix']])
    expect((helpers.action as { files: { path: string }[] }).files.map(f => f.path)).toEqual([first.path])
  })

  it('fedora-40: the same dnf plan without EPEL', () => {
    const { steps } = plan(fixture('fedora-40'), fresh(fixture('fedora-40')))
    expect(step(steps, 'packages').commands).toEqual([['dnf', 'install', '-y', ...RHEL_PACKAGES]])
    expect(step(steps, 'pg-initdb').commands).toEqual([['postgresql-setup', '--initdb']])
  })

  it.each(['almalinux-9', 'rocky-9', 'centos-stream-9', 'fedora-40', 'almalinux-10', 'rocky-10'])('%s: no apt-get, dpkg or debconf anywhere in the plan', (name) => {
    const argv0 = allCommands(plan(fixture(name), fresh(fixture(name))).steps).map(argv => (argv[0] === 'env' ? argv[2] : argv[0]))
    expect(argv0).not.toContain('apt-get')
    expect(argv0.filter(cmd => /^(apt|dpkg|debconf)/.test(cmd!))).toEqual([])
  })

  it('the database and config.env steps are actions whose secrets are made at run time, never planned', () => {
    const { steps } = plan(fixture('debian-12'), fresh(fixture('debian-12')), { pgAdminUrl: 'postgres://postgres:pw@db.internal:6543/postgres' })
    expect(step(steps, 'database').action).toEqual({ type: 'database', database: 'mailpanel', user: 'mailpanel', via: '--pg-admin-url', host: 'db.internal', port: '6543' })
    expect(step(steps, 'config').action).toEqual({
      type: 'config-env',
      file: `${ROOT}/etc/backendside-mailpanel/config.env`,
      missing: ['DATABASE_URL', 'JWT_SECRET', 'MAIL_HOSTNAME', 'ADMIN_USER', 'ADMIN_PASSWORD_HASH', 'HTTPS', 'METRICS_TOKEN'],
      hostname: 'mail.example.com',
    })
    expect(JSON.stringify(steps)).not.toContain(':pw@')
    const local = plan(fixture('debian-12'), fresh(fixture('debian-12')), { dbName: 'panel_db', dbUser: 'panel_role' })
    expect(step(local.steps, 'database').action).toEqual({ type: 'database', database: 'panel_db', user: 'panel_role', via: 'runuser -u postgres -- psql', host: '127.0.0.1', port: '5432' })
  })

  it('is pure: leaves its input alone, and neither the clock, the environment nor an earlier plan changes the result', () => {
    const os = fixture('almalinux-9')
    const state = fresh(os)
    const first = plan(os, state)
    expect(state, 'planSetup changed the probe it was given').toEqual(fresh(os))
    plan(fixture('debian-12'), installed(fixture('debian-12')), { hostname: 'mx.other.example' })
    vi.useFakeTimers({ now: new Date('2040-02-29T23:59:59Z') })
    vi.stubEnv('DATABASE_URL', 'postgres://elsewhere:pw@db.invalid:6543/elsewhere')
    vi.stubEnv('MAIL_HOSTNAME', 'mx.elsewhere.invalid')
    try {
      expect(plan(os, state)).toEqual(first)
    }
    finally {
      vi.useRealTimers()
      vi.unstubAllEnvs()
    }
  })
})

describe('planSetup on a machine where everything is in place', () => {
  it.each(['debian-12', 'ubuntu-24.04', 'almalinux-9', 'rocky-9', 'centos-stream-9', 'fedora-40', 'almalinux-10', 'rocky-10'])('%s: every step is already done, nothing to run', (name) => {
    const { steps } = plan(fixture(name), installed(fixture(name)))
    expect(steps.filter(s => s.changes || s.skipped).map(s => s.id)).toEqual([])
    expect(allCommands(steps)).toEqual([])
    expect(steps.filter(s => s.action)).toEqual([])
  })

  it('takes the database names from config.env when none are given, and refuses names that disagree with it', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    state.config!.DATABASE_URL = 'postgres://other_role:pw@127.0.0.1:5432/other_db'
    state.database = { reachable: true, roleExists: true, databaseOwner: 'other_role' }
    expect(plan(os, state).database).toEqual({ name: 'other_db', user: 'other_role' })
    expect(() => plan(os, state, { dbName: 'mailpanel' })).toThrow(/already points the panel at database other_db as other_role/)
  })
})

describe('planSetup on a partly prepared machine', () => {
  it('Debian: installs only the missing packages; without systemd the services step is skipped with a note', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    state.packages['postfix-pgsql'] = false
    state.packages['dovecot-lmtpd'] = false
    state.systemd = false
    const { steps } = plan(os, state)
    expect(step(steps, 'packages').commands[2]).toEqual(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', 'postfix-pgsql', 'dovecot-lmtpd'])
    expect(step(steps, 'services')).toMatchObject({ changes: false, skipped: expect.stringContaining('systemd is not running') })
  })

  it('RHEL: EPEL present, one package missing; a running PostgreSQL is reloaded after the pg_hba.conf change', () => {
    const os = fixture('rocky-9')
    const state = installed(os)
    state.packages['dovecot-pgsql'] = false
    state.pgHba = RHEL_HBA
    state.services = { ...state.services, dovecot: { enabled: true, active: false } }
    const { steps } = plan(os, state)
    expect(step(steps, 'packages').commands).toEqual([['dnf', 'install', '-y', 'dovecot-pgsql']])
    expect(step(steps, 'pg-initdb').changes).toBe(false)
    expect(step(steps, 'pg-hba').changes).toBe(true)
    expect(step(steps, 'services').commands).toEqual([['systemctl', 'enable', '--now', 'dovecot'], ['systemctl', 'reload', 'postgresql']])
  })

  it('--skip-packages skips the package step', () => {
    const os = fixture('almalinux-9')
    expect(step(plan(os, fresh(os), { skipPackages: true }).steps, 'packages')).toMatchObject({ changes: false, skipped: '--skip-packages', commands: [] })
  })

  it('fills in only the config.env keys that are missing, and creates only missing folders', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    delete state.config!.JWT_SECRET
    state.config!.ADMIN_PASSWORD_HASH = ''
    state.paths[P.mailDir] = null
    state.paths[P.store] = null
    const { steps } = plan(os, state)
    expect(step(steps, 'config')).toMatchObject({ commands: [], action: { missing: ['JWT_SECRET', 'ADMIN_PASSWORD_HASH'] } })
    expect(step(steps, 'mail-store').commands).toEqual([
      ['install', '-d', '-m', '0755', `${ROOT}/var/mail`],
      ['install', '-d', '-m', '0770', '-o', 'vmail', '-g', 'vmail', `${ROOT}/var/mail/vhosts`],
    ])
  })

  it('repairs a mail store with the wrong owner or mode', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    state.paths[P.store] = { mode: DIR | 0o755, uid: 0, gid: 0 }
    expect(step(plan(os, state).steps, 'mail-store').commands).toEqual([['install', '-d', '-m', '0770', '-o', 'vmail', '-g', 'vmail', `${ROOT}/var/mail/vhosts`]])
  })

  it('creates the vmail user when only the group exists, and a missing certificate (both files) again', () => {
    const os = fixture('debian-12')
    const state = installed(os)
    state.accounts = { ...state.accounts, user: null, uidOwner: null }
    state.paths[P.key] = null
    const { steps } = plan(os, state)
    expect(step(steps, 'vmail').commands).toEqual([COMMON_FRESH.vmail[1]])
    expect(step(steps, 'tls').commands).toEqual(COMMON_FRESH.tls.slice(1))
  })
})

describe('planSetup refuses, before anything changes', () => {
  it('an unknown OS, naming it and the supported ones', () => {
    const os = fixture('unknown')
    expect(() => plan(os, fresh(os))).toThrow(SetupError)
    expect(() => plan(os, fresh(os))).toThrow(/unsupported operating system "Alpine Linux v3.20" \(ID=alpine, ID_LIKE=\(none\)\).*Debian.*dnf.*nothing was changed/)
  })

  it.each([
    ['a vmail user with another uid', { user: { uid: 1001, gid: 5000 }, group: { gid: 5000 }, uidOwner: null, gidOwner: 'vmail' }, /user vmail exists with uid 1001/],
    ['a vmail group with another gid', { user: null, group: { gid: 120 }, uidOwner: null, gidOwner: null }, /group vmail exists with gid 120/],
    ['uid 5000 taken by someone else', { user: null, group: null, uidOwner: 'alice', gidOwner: null }, /uid 5000 belongs to alice/],
    ['gid 5000 taken by another group', { user: null, group: null, uidOwner: null, gidOwner: 'staff2' }, /gid 5000 belongs to group staff2/],
  ])('%s', (_, accounts, message) => {
    const os = fixture('debian-12')
    expect(() => plan(os, { ...fresh(os), accounts })).toThrow(message)
  })

  it('an existing role whose password config.env does not have, and a database owned by another role', () => {
    const os = fixture('debian-12')
    expect(() => plan(os, { ...fresh(os), database: { reachable: true, roleExists: true, databaseOwner: '' } })).toThrow(/role mailpanel exists, but config.env has no DATABASE_URL/)
    expect(() => plan(os, { ...fresh(os), database: { reachable: true, roleExists: false, databaseOwner: 'postgres' } })).toThrow(/database mailpanel exists and belongs to postgres/)
  })

  it.each([
    ['mail..example.com'], ['mail/example.com'], ['mail example.com'], ['$(reboot)'], ['mail;rm'], ['-mail.example.com'], ['a'.repeat(64)], ['mail.example.com.'],
  ])('hostname %j', (hostname) => {
    const os = fixture('debian-12')
    expect(() => plan(os, fresh(os), { hostname })).toThrow(/--hostname must be a DNS name/)
  })

  it('no hostname at all', () => {
    const os = fixture('debian-12')
    expect(() => plan(os, { ...fresh(os), hostname: undefined })).toThrow(/pass --hostname/)
  })

  it.each([['Mailpanel'], ['1panel'], ['panel-db'], ['panel"; DROP'], ['a'.repeat(64)], ['']])('database name %j', (name) => {
    const os = fixture('debian-12')
    expect(() => plan(os, fresh(os), { dbName: name })).toThrow(/--db-name must match/)
    expect(() => plan(os, fresh(os), { dbUser: name })).toThrow(/--db-user must match/)
  })

  it('accepts ordinary names', () => {
    const os = fixture('debian-12')
    expect(plan(os, fresh(os), { hostname: 'MX-1.Mail.Example.com', dbName: '_panel2', dbUser: 'a'.repeat(63) })).toMatchObject({ hostname: 'mx-1.mail.example.com', database: { name: '_panel2', user: 'a'.repeat(63) } })
  })
})

describe('pgHba', () => {
  it('puts md5 rules for the panel role before the first rule; postgres keeps peer; a second pass changes nothing', () => {
    const once = pgHba.withPanelRules(RHEL_HBA, 'mailpanel', 'mailpanel')
    const rules = once.split('\n').filter(l => l.trim() && !l.startsWith('#'))
    expect(rules.map(l => l.split(/\s+/))).toEqual([
      ['host', 'mailpanel', 'mailpanel', '127.0.0.1/32', 'md5'],
      ['host', 'mailpanel', 'mailpanel', '::1/128', 'md5'],
      ['local', 'all', 'all', 'peer'],
      ['host', 'all', 'all', '127.0.0.1/32', 'ident'],
      ['host', 'all', 'all', '::1/128', 'ident'],
    ])
    expect(pgHba.has(once, 'mailpanel', 'mailpanel')).toBe(true)
    expect(pgHba.has(once, 'mailpanel', 'other')).toBe(false)
    expect(pgHba.withPanelRules(once, 'mailpanel', 'mailpanel')).toBe(once)
  })

  it('appends to a file without rules', () => {
    expect(pgHba.withPanelRules('# only comments', 'd', 'u').split('\n').slice(-3)).toEqual(['host    d    u    127.0.0.1/32    md5', 'host    d    u    ::1/128    md5', ''])
  })
})
