import { execFile, spawn } from 'node:child_process'
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify, stripVTControlCharacters } from 'node:util'
import { verify } from '@node-rs/bcrypt'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { osRelease } from '#lib/os-release.mjs'
import { scramVerifier } from '../../scripts/setup/pg-admin.mjs'
import { envFile } from '#lib/env-file.mjs'
import { api } from '../support/client'
import { removeRoot, startServer, type TestServer } from '../support/server'

const HOSTNAME = 'mail.setup.test'
const FIXTURES = 'tests/fixtures/os-release'
const MODE_BITS = 0o7777
const CERT_DAYS = 825
const DAY_MS = 86_400_000
const systemd = existsSync('/run/systemd/system')
const exec = promisify(execFile)

function adminUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('the setup system test needs DATABASE_URL (a superuser connection, e.g. postgres://postgres@127.0.0.1:5432/postgres)')
  return url
}

interface Run { code: number | null, stdout: string, stderr: string }

/** Runs a node script to completion; colours stripped so lines compare as text. */
function runNode(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('close', code => resolve({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) }))
  })
}

const setup = (args: string[]) => runNode(['scripts/setup.mjs', ...args])
const launcher = (args: string[], env: Record<string, string> = {}) => runNode(['bin/backendside-mailpanel', ...args], env)
const scratch = () => mkdtempSync(join(tmpdir(), 'mailpanel-setup-'))

/** `[n/N] Step … result` lines as [step, result]. */
function progress(stdout: string): [string, string][] {
  return [...stdout.matchAll(/^\[\d+\/\d+\] (.+?) … (.+)$/gm)].map(m => [m[1]!, m[2]!])
}

/** Every file and folder under `dir` with mode, owner, mtime and (files) a content hash. */
function snapshot(dir: string, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = lstatSync(path)
    const content = st.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'dir'
    out[path] = `${(st.mode & MODE_BITS).toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${content}`
    if (st.isDirectory()) snapshot(path, out)
  }
  return out
}

async function dropDatabase(name: string, role: string): Promise<void> {
  const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  await sql.unsafe(`DROP ROLE IF EXISTS "${role}"`)
  await sql.end()
}

describe('setup on this Debian-family machine (real packages, real PostgreSQL, real vmail user)', () => {
  const name = `mailpanel_test_${randomBytes(4).toString('hex')}`
  const args = (root: string) => ['--root', root, '--pg-admin-url', adminUrl(), '--db-name', name, '--db-user', name, '--hostname', HOSTNAME]
  let root: string
  let first: Run
  let adminPassword: string
  let server: TestServer | undefined
  let admin: postgres.Sql
  const config = () => envFile.parse(readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8'))

  beforeAll(async () => {
    admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
    root = scratch()
    first = await setup(args(root))
  })

  afterAll(async () => {
    await server?.stop()
    await admin?.end()
    await dropDatabase(name, name)
    if (root) removeRoot(root)
  })

  it('first run: the packages are already installed, every other step is done, the admin password is printed once', () => {
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`${osRelease.parse(readFileSync('/etc/os-release', 'utf8')).prettyName} (debian family)`)
    const steps = Object.fromEntries(progress(first.stdout))
    expect(Object.keys(steps)).toEqual(['Install packages', 'Enable and start services', 'Create vmail user', 'Create mail store',
      'Create database role and database', 'Write config.env', 'Create self-signed TLS certificate', 'Connect Postfix to the mail authentication helpers'])
    expect(steps['Install packages']).toBe('already done')
    // The units' files are new under the scratch root; postfix may already be in the milters' groups from an earlier run here.
    expect(steps['Connect Postfix to the mail authentication helpers']).toBe('done')
    expect(steps['Enable and start services']).toMatch(systemd ? /^(done|already done)$/ : /^skipped \(systemd is not running/)
    // vmail may exist from an earlier run on this machine; everything under the scratch root is new.
    expect(steps['Create vmail user']).toMatch(/^(done|already done)$/)
    for (const step of ['Create mail store', 'Create database role and database', 'Write config.env', 'Create self-signed TLS certificate']) {
      expect(steps[step], step).toBe('done')
    }
    const printed = /^Admin sign-in: user admin, password (\S+) \(shown once/m.exec(first.stdout)
    expect(printed).not.toBeNull()
    adminPassword = printed![1]!
  })

  it('config.env is 0600 in a 0700 folder and holds every key, in the format the server reads', async () => {
    expect(statSync(join(root, 'etc/backendside-mailpanel')).mode & MODE_BITS).toBe(0o700)
    expect(statSync(join(root, 'etc/backendside-mailpanel/config.env')).mode & MODE_BITS).toBe(0o600)
    const values = config()
    expect(Object.keys(values).sort()).toEqual(['ADMIN_PASSWORD_HASH', 'ADMIN_USER', 'DATABASE_URL', 'HTTPS', 'JWT_SECRET', 'MAIL_HOSTNAME', 'METRICS_TOKEN'])
    expect(values.HTTPS).toBe('on')
    expect(values.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/)
    expect(values.METRICS_TOKEN).toMatch(/^[0-9a-f]{64}$/)
    expect(values.METRICS_TOKEN).not.toBe(values.JWT_SECRET)
    expect(values.MAIL_HOSTNAME).toBe(HOSTNAME)
    expect(values.ADMIN_USER).toBe('admin')
    expect(values.ADMIN_PASSWORD_HASH).toMatch(/^\$2b\$12\$/)
    expect(await verify(adminPassword, values.ADMIN_PASSWORD_HASH!)).toBe(true)
    const url = new URL(values.DATABASE_URL!)
    expect([url.hostname, url.port, url.username, url.pathname]).toEqual(['127.0.0.1', '5432', name, `/${name}`])
    expect(url.password).toMatch(/^[0-9a-f]{48}$/)
  })

  it('the role logs in over TCP with DATABASE_URL, owns its database, and PostgreSQL stores a SCRAM verifier of exactly that password', async () => {
    const databaseUrl = config().DATABASE_URL!
    const sql = postgres(databaseUrl, { max: 1 })
    const [who] = await sql<{ user: string, db: string }[]>`SELECT current_user AS user, current_database() AS db`
    await sql.end()
    expect(who).toEqual({ user: name, db: name })
    const [db] = await admin<{ owner: string }[]>`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ${name}`
    expect(db!.owner).toBe(name)

    // PostgreSQL itself is the judge of the verifier format: hash a password the usual way and reproduce it.
    const probe = `${name}_scram`
    await admin.unsafe(`CREATE ROLE "${probe}" PASSWORD 'pencil-${probe}'`)
    const [own] = await admin<{ v: string }[]>`SELECT rolpassword AS v FROM pg_authid WHERE rolname = ${probe}`
    await admin.unsafe(`DROP ROLE "${probe}"`)
    const salt = (v: string) => Buffer.from(/^SCRAM-SHA-256\$4096:([^$]+)\$/.exec(v)![1]!, 'base64')
    expect(scramVerifier(`pencil-${probe}`, salt(own!.v))).toBe(own!.v)

    const [stored] = await admin<{ v: string, login: boolean }[]>`SELECT rolpassword AS v, rolcanlogin AS login FROM pg_authid WHERE rolname = ${name}`
    expect(stored!.login).toBe(true)
    expect(scramVerifier(new URL(databaseUrl).password, salt(stored!.v))).toBe(stored!.v)
  })

  it('vmail is uid/gid 5000; the mail store is 0770 vmail:vmail below 0755 parents', async () => {
    const { stdout } = await exec('getent', ['passwd', 'vmail'])
    expect(stdout.split(':').slice(2, 4)).toEqual(['5000', '5000'])
    const store = statSync(join(root, 'var/mail/vhosts'))
    expect([store.mode & MODE_BITS, store.uid, store.gid]).toEqual([0o770, 5000, 5000])
    for (const parent of ['var', 'var/mail']) expect(statSync(join(root, parent)).mode & MODE_BITS, parent).toBe(0o755)
  })

  it('the self-signed certificate names the host, runs 825 days, and matches its 0600 key', () => {
    const dir = join(root, 'etc/backendside-mailpanel/tls/self-signed')
    const cert = new X509Certificate(readFileSync(join(dir, 'cert.pem')))
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')))
    expect(cert.subject).toBe(`CN=${HOSTNAME}`)
    expect(cert.subjectAltName).toBe(`DNS:${HOSTNAME}`)
    expect(cert.checkPrivateKey(key)).toBe(true)
    expect(Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY_MS)).toBe(CERT_DAYS)
    expect(statSync(join(dir, 'key.pem')).mode & MODE_BITS).toBe(0o600)
  })

  it('a second run reports every step already done and changes nothing: files, modes, mtimes, role, database', async () => {
    const dbState = async () => admin`SELECT (SELECT rolpassword FROM pg_authid WHERE rolname = ${name}) AS password,
      (SELECT oid::text FROM pg_database WHERE datname = ${name}) AS db_oid`
    const before = { files: snapshot(root), db: await dbState() }
    const second = await setup(args(root))
    expect(second.code).toBe(0)
    for (const [step, result] of progress(second.stdout)) {
      // Without systemd the services step is skipped (saying why) on every run, the second one too.
      expect(result, step).toMatch(step === 'Enable and start services' && !systemd ? /^skipped \(systemd is not running/ : /^already done$/)
    }
    expect(progress(second.stdout)).toHaveLength(8)
    expect(second.stdout).not.toContain('Admin sign-in')
    expect({ files: snapshot(root), db: await dbState() }).toEqual(before)
  })

  it('the built panel starts on that root with its DATABASE_URL, and the printed admin password signs in', async () => {
    // HTTPS=on from the installer is covered in tests/api/https.test.ts; plain HTTP keeps this client simple.
    server = await startServer({ root, env: { HTTPS: 'off' } })
    const ok = await api<{ token: string }>('/auth/login', { baseUrl: server.url, auth: false, body: { username: 'admin', password: adminPassword } })
    expect(ok.status).toBe(200)
    expect(ok.body.token).toMatch(/^ey/)
    const me = await api('/api/v1/me', { baseUrl: server.url, headers: { authorization: `Bearer ${ok.body.token}` } })
    expect(me.status).toBe(200)
    const wrong = await api('/auth/login', { baseUrl: server.url, auth: false, body: { username: 'admin', password: `${adminPassword}x` } })
    expect(wrong.status).toBe(401)
    // The panel migrated its schema into the installer's database, as the installer's role.
    const sql = postgres(config().DATABASE_URL!, { max: 1 })
    const [owner] = await sql<{ owner: string }[]>`SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'domains'`
    await sql.end()
    expect(owner!.owner).toBe(name)
  })
})

describe('setup through runuser -u postgres -- psql (the default, no --pg-admin-url)', () => {
  const name = `mailpanel_test_${randomBytes(4).toString('hex')}`
  let root: string

  afterAll(async () => {
    await dropDatabase(name, name)
    if (root) removeRoot(root)
  })

  it('creates the role and database as the local superuser, then finds them on a second run', async () => {
    root = scratch()
    const args = ['--root', root, '--db-name', name, '--db-user', name, '--hostname', HOSTNAME, '--skip-packages']
    const first = await setup(args)
    expect(first.code, first.stderr).toBe(0)
    expect(progress(first.stdout)).toContainEqual(['Install packages', 'skipped (--skip-packages)'])
    expect(progress(first.stdout)).toContainEqual(['Create database role and database', 'done'])
    const sql = postgres(envFile.parse(readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8')).DATABASE_URL!, { max: 1 })
    const [who] = await sql<{ user: string }[]>`SELECT current_user AS user`
    await sql.end()
    expect(who!.user).toBe(name)
    // Names come back from config.env when the second run is given none.
    const second = await setup(['--root', root, '--skip-packages'])
    expect(second.code, second.stderr).toBe(0)
    expect(progress(second.stdout)).toContainEqual(['Create database role and database', 'already done'])
    expect(progress(second.stdout)).toContainEqual(['Write config.env', 'already done'])
  })
})

describe('refusals and the launcher', () => {
  const roots: string[] = []
  const emptyRoot = () => {
    const root = scratch()
    roots.push(root)
    return root
  }
  afterAll(() => roots.forEach(removeRoot))

  it('an unknown OS is a clear error, exit 1, and nothing is created', async () => {
    const root = emptyRoot()
    const res = await setup(['--os-release', `${FIXTURES}/unknown`, '--root', root, '--hostname', HOSTNAME])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^error: unsupported operating system "Alpine Linux v3\.20" \(ID=alpine, ID_LIKE=\(none\)\).*nothing was changed/)
    expect(res.stdout).toBe('')
    expect(readdirSync(root)).toEqual([])
  })

  it('a failing command stops the run with its argv, exit code and stderr; later steps do not run', async () => {
    const root = emptyRoot()
    // A file where the mail store's parent folder should be: `install -d` fails for real.
    writeFileSync(join(root, 'var'), 'not a folder')
    const res = await setup(['--root', root, '--skip-packages', '--hostname', HOSTNAME, '--db-name', 'mailpanel_never', '--db-user', 'mailpanel_never'])
    expect(res.code).toBe(1)
    expect(progress(res.stdout).at(-1)).toEqual(['Create mail store', 'failed'])
    expect(res.stdout).not.toContain('Create database role')
    expect(res.stderr).toContain(`error: Create mail store failed\n  command: install -d -m 0755 ${root}/var/mail\n  exit code: 1\n  stderr: install: cannot create directory`)
    expect(readdirSync(root)).toEqual(['var'])
  })

  it('a RHEL-family os-release gets the dnf plan (dry run on this machine): no apt-get anywhere, nothing created', async () => {
    const root = emptyRoot()
    const res = await launcher(['setup', '--dry-run', '--os-release', `${FIXTURES}/almalinux-9`, '--root', root, '--hostname', HOSTNAME])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toContain('AlmaLinux 9.4 (Seafoam Ocelot) (rhel family)')
    expect(res.stdout).toContain('      dnf install -y epel-release\n')
    expect(res.stdout).toContain('      dnf install -y postfix postfix-pgsql dovecot dovecot-pgsql postgresql-server postgresql-contrib openssl opendkim opendkim-tools opendmarc pypolicyd-spf postgrey\n')
    expect(res.stdout).toContain('      postgresql-setup --initdb\n')
    expect(res.stdout).not.toMatch(/apt-get|dpkg|debconf/)
    expect(res.stdout).toContain('Dry run: nothing was changed.')
    expect(readdirSync(root)).toEqual([])
  })

  it('an EL10 os-release: the dry run warns that there is no postgrey and leaves it out of dnf', async () => {
    const root = emptyRoot()
    const res = await launcher(['setup', '--dry-run', '--os-release', `${FIXTURES}/almalinux-10`, '--root', root, '--hostname', HOSTNAME])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^warning: AlmaLinux 10\.0 \(Purple Lion\) has no postgrey package \(EPEL 10 dropped it\): greylisting stays off/m)
    expect(res.stdout).toContain('      dnf install -y postfix postfix-pgsql dovecot dovecot-pgsql postgresql-server postgresql-contrib openssl opendkim opendkim-tools opendmarc pypolicyd-spf\n')
    expect(res.stdout).toContain(`(write ${root}/etc/systemd/system/opendkim.service.d/backendside-mailpanel.conf`)
    expect(readdirSync(root)).toEqual([])
  })

  it.each([
    [['--hostname', 'mail..example.com'], /--hostname must be a DNS name/],
    [['--hostname', '$(reboot)'], /--hostname must be a DNS name/],
    [['--db-name', 'Robert"; DROP'], /--db-name must match/],
    [['--no-such-option'], /unknown argument --no-such-option/],
    [['--root'], /--root needs a value/],
  ])('bad input %j: exit 2 with the reason, nothing created', async (extra, message) => {
    const root = emptyRoot()
    const res = await setup(['--root', root, ...extra])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(message)
    expect(readdirSync(root)).toEqual([])
  })

  it('backendside-mailpanel --help and an unknown command', async () => {
    const help = await launcher(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: backendside-mailpanel \[command\]/)
    const setupHelp = await launcher(['setup', '--help'])
    expect(setupHelp.stdout).toMatch(/^Usage: backendside-mailpanel setup \[options\]/)
    const unknown = await launcher(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command frobnicate/)
  })

  it('backendside-mailpanel with no command runs the built server (which refuses a root without JWT_SECRET)', async () => {
    const res = await launcher([], { MAILPANEL_ROOT: emptyRoot(), PORT: '0' })
    expect(res.code).toBe(1)
    expect(res.stdout + res.stderr).toContain('JWT_SECRET is not set')
  })
})
