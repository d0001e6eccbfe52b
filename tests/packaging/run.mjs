#!/usr/bin/env node
// The packaging suite (.ci/run): builds the .deb and .rpm from .output, checks them with lintian,
// rpm -qp and systemd-analyze, installs the .deb on this machine (dpkg -i), runs the panel as its unit
// would and signs in over HTTP, upgrades to a newer build (config.env, JWT_SECRET and data survive),
// removes (config and data stay) and purges (gone); installs the .rpm into a scratch root; and checks a
// legacy .env is migrated in place. Needs root, dpkg, rpm, lintian, systemd-analyze, logrotate, util-linux and the
// PostgreSQL that DATABASE_URL names. Prints one line per check and "N passed, N failed";
// --report FILE writes the counts the way .ci/run sums them; --verbose prints the panel's log.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { hash } from '@node-rs/bcrypt'
import postgres from 'postgres'
import { envFile } from '../../lib/env-file.mjs'
import { parseUnit, startAsUnit } from './unit-sandbox.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const NAME = 'backendside-mailpanel'
const ETC = `/etc/${NAME}`
const STATE = `/var/lib/${NAME}`
const CONFIG = `${ETC}/config.env`
const UNIT = `/lib/systemd/system/${NAME}.service`
const NODE = `/usr/lib/${NAME}/node/bin/node`
const PASSWORD = `pkg-${randomBytes(6).toString('hex')}`
const START_TIMEOUT_MS = 60_000
// systemd-analyze security --offline: 4.6 now ("OK"); a weakened unit scores higher.
const MAX_EXPOSURE = 5
const CAP_NET_ADMIN = 12n
const CAP_SYS_ADMIN = 21n
const { values: args } = parseArgs({ options: { report: { type: 'string' }, verbose: { type: 'boolean' } } })

const results = []
async function check(name, fn) {
  try {
    await fn()
    results.push(true)
    process.stdout.write(`✓ ${name}\n`)
  }
  catch (err) {
    results.push(false)
    process.stdout.write(`✗ ${name}\n    ${String(err.message).replace(/\n/g, '\n    ')}\n`)
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message)
}

/** Runs argv; returns stdout+stderr, throws with them when it fails (unless `ok` says what may fail). */
function sh(cmd, argv, { ok = [0], env } = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 10 * 60_000, env: { ...process.env, ...env } })
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${argv.join(' ')} → exit ${r.status ?? r.signal}\n${out.trim().split('\n').slice(-25).join('\n')}`)
  return out
}
const installedVersion = () => spawnSync('dpkg-query', ['-W', '-f', '${Status} ${Version}', NAME], { encoding: 'utf8' }).stdout
const modeOf = path => (statSync(path).mode & 0o7777).toString(8)
const sha256 = path => createHash('sha256').update(readFileSync(path)).digest('hex')
const configValues = () => envFile.parse(readFileSync(CONFIG, 'utf8'))

function freePort() {
  return new Promise((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => res(port))
    })
  })
}

/** The panel as the unit runs it, until `fn` is done; its log is in the error when something fails. */
async function withPanel(scratch, fn) {
  const port = Number(configValues().PORT)
  // As systemd does: each ExecStartPre= to its end, a "+" one unconfined (as root, on this machine).
  for (const line of parseUnit(readFileSync(UNIT, 'utf8')).ExecStartPre ?? []) {
    if (line.startsWith('+')) {
      sh(line.slice(1).split(/\s+/)[0], line.slice(1).split(/\s+/).slice(1))
      continue
    }
    const pre = startAsUnit(UNIT, mkdtempSync(join(scratch, 'rw-')), [ETC], line)
    const preCode = await new Promise(r => pre.child.once('exit', r))
    if (preCode !== 0) throw new Error(`ExecStartPre=${line} exited with ${preCode}:\n${pre.output()}`)
    if (args.verbose) process.stdout.write(`--- ExecStartPre=${line} ---\n${pre.output()}`)
  }
  const panel = startAsUnit(UNIT, mkdtempSync(join(scratch, 'rw-')), [ETC])
  const base = `http://127.0.0.1:${port}`
  try {
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      if (panel.child.exitCode !== null) throw new Error(`the panel exited with ${panel.child.exitCode}`)
      const res = await fetch(`${base}/api/v1/health`).catch(() => undefined)
      if (res) break
      if (Date.now() > deadline) throw new Error(`no answer on ${base} within ${START_TIMEOUT_MS / 1000} s`)
      await new Promise(r => setTimeout(r, 500))
    }
    const result = await fn({ base, pid: panel.child.pid })
    if (args.verbose) process.stdout.write(`--- panel output ---\n${panel.output()}\n`)
    // A write the unit's ReadWritePaths do not allow shows up as EROFS in the panel's log (its start-up reconcile).
    assert(!/EROFS|read-only file system/i.test(panel.output()), 'the panel tried to write outside its ReadWritePaths')
    return result
  }
  catch (err) {
    err.message += `\n--- panel output ---\n${panel.output().trim().split('\n').slice(-30).join('\n')}`
    throw err
  }
  finally {
    panel.child.kill('SIGTERM')
    await new Promise(r => panel.child.exitCode !== null ? r() : panel.child.once('exit', r))
  }
}

async function json(res) {
  const text = await res.text()
  try {
    return JSON.parse(text)
  }
  catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`)
  }
}

async function signIn(base) {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })
  const body = await json(res)
  assert(res.status === 200 && body.token, `sign-in: HTTP ${res.status} ${JSON.stringify(body)}`)
  return { 'authorization': `Bearer ${body.token}`, 'content-type': 'application/json' }
}

async function lastReconcile(base, headers) {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    const status = await json(await fetch(`${base}/api/v1/reconcile/status`, { headers }))
    if (status.last_run) return status.last_run
    if (Date.now() > deadline) throw new Error(`no reconcile run recorded: ${JSON.stringify(status).slice(0, 300)}`)
    await new Promise(r => setTimeout(r, 500))
  }
}

function purgeIfInstalled() {
  if (installedVersion()) sh('dpkg', ['--purge', NAME])
}

async function main() {
  assert(process.getuid() === 0, 'the packaging suite installs a package: run it as root')
  for (const tool of ['dpkg-deb', 'rpmbuild', 'rpm', 'lintian', 'systemd-analyze', 'logrotate', 'setpriv', 'unshare']) {
    assert(spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0, `${tool} is missing (apt-get install rpm lintian systemd logrotate util-linux)`)
  }
  assert(existsSync(join(repo, '.output/server/index.mjs')), 'no .output/: run `npx nuxt build` first')
  assert(!existsSync(ETC) || installedVersion(), `${ETC} exists without the package: this suite would install over someone's panel`)
  purgeIfInstalled()

  const scratch = mkdtempSync(join(tmpdir(), 'bsmp-packaging-'))
  const dist = join(scratch, 'dist')
  const build = /const BUILD_NUMBER = '(\d+)'/.exec(readFileSync(join(repo, 'nuxt.config.ts'), 'utf8'))[1]
  const next = String(Number(build) + 1).padStart(build.length, '0')
  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
  const nodePin = JSON.parse(readFileSync(join(repo, 'packaging/release.json'), 'utf8')).node.version
  const deb = join(dist, `${NAME}_${version}-${build}_amd64.deb`)
  const debNext = join(dist, `${NAME}_${version}-${next}_amd64.deb`)
  const rpm = join(dist, `${NAME}-${version}-${build}.x86_64.rpm`)
  const rpmNext = join(dist, `${NAME}-${version}-${next}.x86_64.rpm`)
  const admin = postgres(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} })
  const dbName = `mailpanel_pkg_${process.pid}`

  try {
    await check(`builds ${NAME}_${version}-${build}_amd64.deb and ${NAME}-${version}-${build}.x86_64.rpm, and both of build ${next}`, () => {
      sh('node', [join(repo, 'scripts/package/build.mjs'), '--out', dist])
      sh('node', [join(repo, 'scripts/package/build.mjs'), '--out', dist, '--build', next])
      for (const f of [deb, debNext, rpm, rpmNext]) assert(existsSync(f), `${f} was not built`)
    })

    const expected = ['usr/bin/backendside-mailpanel', 'usr/lib/backendside-mailpanel/server/index.mjs', 'usr/lib/backendside-mailpanel/node/bin/node',
      'usr/lib/backendside-mailpanel/LICENSE', 'usr/lib/backendside-mailpanel/scripts/setup.mjs', 'usr/lib/backendside-mailpanel/lib/env-file.mjs',
      'etc/logrotate.d/backendside-mailpanel', 'etc/letsencrypt/renewal-hooks/deploy/backendside-mailpanel']
    await check('the .deb holds the binary, the app, its Node, LICENSE, logrotate, the certbot hook and the unit; conffiles are marked', () => {
      const list = sh('dpkg-deb', ['-c', deb])
      for (const path of [...expected, `lib/systemd/system/${NAME}.service`, `usr/share/doc/${NAME}/copyright`]) assert(list.includes(` ./${path}`), `not in the .deb: ${path}`)
      assert(sh('dpkg-deb', ['-f', deb, 'Version']).trim() === `${version}-${build}`, 'Version field')
      const conffiles = sh('sh', ['-c', `dpkg-deb --ctrl-tarfile ${deb} | tar -xO ./conffiles`])
      assert(conffiles.includes(`/etc/logrotate.d/${NAME}`) && conffiles.includes(`/etc/letsencrypt/renewal-hooks/deploy/${NAME}`), `conffiles: ${conffiles}`)
    })

    await check('lintian reports no errors on the .deb', () => {
      const out = sh('lintian', ['--tag-display-limit', '0', deb], { ok: [0, 1, 2] })
      const errors = out.split('\n').filter(l => /^E: /.test(l))
      assert(!errors.length, errors.join('\n'))
      const warnings = out.split('\n').filter(l => /^W: /.test(l))
      if (warnings.length) process.stdout.write(`    lintian warnings:\n${warnings.map(w => `      ${w}`).join('\n')}\n`)
    })

    await check('maintainer scripts (DEB and RPM) parse with sh -n', () => {
      const ctl = join(scratch, 'deb-control')
      sh('dpkg-deb', ['-e', deb, ctl])
      for (const s of ['postinst', 'prerm', 'postrm']) sh('sh', ['-n', join(ctl, s)])
      for (const tag of ['PREIN', 'POSTIN', 'PREUN', 'POSTUN']) {
        const file = join(scratch, `rpm-${tag}`)
        writeFileSync(file, sh('rpm', ['-qp', '--qf', `%{${tag}}`, rpm]))
        sh('sh', ['-n', file])
      }
    })

    await check('rpm -qpl lists the same files (unit under /usr/lib/systemd/system); --scripts has %pre, %post, %preun, %postun', () => {
      const list = sh('rpm', ['-qpl', rpm])
      for (const path of [...expected, `usr/lib/systemd/system/${NAME}.service`, `usr/share/licenses/${NAME}/LICENSE`]) assert(list.includes(`/${path}\n`), `not in the .rpm: ${path}`)
      const scripts = sh('rpm', ['-qp', '--scripts', rpm])
      for (const s of ['preinstall', 'postinstall', 'preuninstall', 'postuninstall']) assert(scripts.includes(`${s} scriptlet`), `no ${s} scriptlet`)
      assert(scripts.includes('bsmp_configure') && scripts.includes('bsmp_account'), 'the scriptlets do not carry packaging/maintainer/lib.sh')
      const config = sh('rpm', ['-qp', '--configfiles', rpm])
      assert(config.includes(`/etc/logrotate.d/${NAME}`) && config.includes(`/etc/letsencrypt/renewal-hooks/deploy/${NAME}`), `config files: ${config}`)
      const noreplace = sh('rpm', ['-qp', '--qf', '[%{FILENAMES} %{FILEFLAGS:fflags}\n]', rpm]).split('\n').filter(l => l.startsWith('/etc/'))
      for (const l of noreplace) {
        const flags = l.split(' ').at(-1)
        assert(flags.includes('c') && flags.includes('n'), `not %config(noreplace): ${l}`)
      }
      assert(sh('rpm', ['-qp', '--qf', '%{VERSION}-%{RELEASE} %{ARCH}', rpm]) === `${version}-${build} x86_64`, 'version-release arch')
    })

    await check('the .rpm installs into a scratch root (rpm --root, --nodeps --noscripts), verifies, upgrades (an edited config kept) and erases (.rpmsave)', () => {
      const root = join(scratch, 'rpmroot')
      mkdirSync(root)
      sh('rpm', ['--root', root, '--initdb'])
      // --nodeps: the scratch root's rpm database has no glibc or shadow-utils to satisfy Requires;
      // --noscripts: its scriptlets would run chrooted in a root with no /bin/sh (the DEB runs them here).
      sh('rpm', ['--root', root, '-i', '--nodeps', '--noscripts', rpm])
      assert(sh('rpm', ['--root', root, '-q', NAME]).trim() === `${NAME}-${version}-${build}.x86_64`, 'rpm -q in the scratch root')
      sh('rpm', ['--root', root, '-V', '--nodeps', NAME])
      const v = sh(join(root, NODE.slice(1)), ['--version']).trim()
      assert(v === `v${nodePin}`, `the .rpm's node says ${v}`)
      // %config(noreplace): an edited config file is kept by an upgrade and saved as .rpmsave by an erase.
      const logrotate = join(root, 'etc/logrotate.d', NAME)
      writeFileSync(logrotate, readFileSync(logrotate, 'utf8').replace('rotate 52', 'rotate 12'))
      sh('rpm', ['--root', root, '-U', '--nodeps', '--noscripts', rpmNext])
      assert(sh('rpm', ['--root', root, '-q', NAME]).trim() === `${NAME}-${version}-${next}.x86_64`, 'rpm -U in the scratch root')
      assert(readFileSync(logrotate, 'utf8').includes('rotate 12') && !existsSync(`${logrotate}.rpmnew`), 'rpm -U replaced the edited logrotate rule')
      sh('rpm', ['--root', root, '-e', '--nodeps', '--noscripts', NAME])
      assert(!existsSync(join(root, 'usr/bin', NAME)), 'rpm -e left the binary')
      assert(existsSync(`${logrotate}.rpmsave`), 'rpm -e did not keep the edited config as .rpmsave')
    })

    let firstInstall = ''
    await check('dpkg -i: system user and group, config.env 0600 with a random JWT_SECRET, state folder; the installer says what is next', () => {
      firstInstall = sh('dpkg', ['-i', deb])
      assert(installedVersion() === `install ok installed ${version}-${build}`, installedVersion())
      const account = sh('getent', ['passwd', NAME]).split(':')
      assert(Number(account[2]) < 1000 && account[6].trim() === '/usr/sbin/nologin', `account: ${account.join(':')}`)
      sh('getent', ['group', NAME])
      assert(modeOf(ETC) === '700' && modeOf(CONFIG) === '600' && statSync(CONFIG).uid === 0, `modes: ${modeOf(ETC)} ${modeOf(CONFIG)}`)
      assert(/^[0-9a-f]{64}$/.test(configValues().JWT_SECRET), 'JWT_SECRET is not 32 random bytes in hex')
      assert(modeOf(STATE) === '750', `${STATE} mode ${modeOf(STATE)}`)
      assert(firstInstall.includes(`wrote a random JWT_SECRET to ${CONFIG}`), firstInstall)
      assert(firstInstall.includes(`next: sudo ${NAME} setup`), firstInstall)
    })

    await check(`the bundled node is ${nodePin} (24.x) and the launcher runs on it`, () => {
      const v = sh(NODE, ['--version']).trim()
      assert(/^v24\.\d+\.\d+$/.test(v) && v === `v${nodePin}`, `bundled node: ${v}`)
      assert(readFileSync('/usr/bin/backendside-mailpanel', 'utf8').includes(`exec ${NODE} `), '/usr/bin/backendside-mailpanel does not run the bundled node')
      assert(sh('/usr/bin/backendside-mailpanel', ['help']).includes('Usage: backendside-mailpanel'), 'help')
    })

    await check(`systemd-analyze verify passes on the installed unit; its security exposure is at most ${MAX_EXPOSURE}`, () => {
      const out = sh('systemd-analyze', ['verify', UNIT])
      const own = out.split('\n').filter(l => l.includes(NAME))
      assert(!own.length, own.join('\n'))
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(sh('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT]))?.[1])
      assert(exposure <= MAX_EXPOSURE, `exposure ${exposure}`)
    })

    await check('the installed installer runs (its dependencies ship): setup --dry-run', () => {
      const out = sh('/usr/bin/backendside-mailpanel', ['setup', '--dry-run', '--skip-packages', '--hostname', 'mail.pkg.test', '--root', join(scratch, 'setup-root')])
      assert(out.includes('Dry run: nothing was changed.'), out)
    })

    await check('logrotate accepts the audit log rule', () => {
      const out = sh('logrotate', ['--debug', `/etc/logrotate.d/${NAME}`])
      assert(out.includes(`${ETC}/audit.log`), out)
    })

    // What setup would add: a database, the admin, a port. The JWT_SECRET the package wrote stays.
    await admin.unsafe(`CREATE DATABASE ${dbName}`)
    const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    dbUrl.pathname = `/${dbName}`
    const [port, policydPort] = [await freePort(), await freePort()]
    envFile.writeAtomic(CONFIG, envFile.stringify({ ...configValues(), DATABASE_URL: dbUrl.toString(), ADMIN_USER: 'admin', ADMIN_PASSWORD_HASH: await hash(PASSWORD, 10), HOST: '127.0.0.1', PORT: String(port), POLICYD_LISTEN: `127.0.0.1:${policydPort}`, MAIL_HOSTNAME: 'mail.pkg.test', HTTPS: 'off' }))
    const secret = configValues().JWT_SECRET
    let configSum = sha256(CONFIG)

    await check('runs as the unit would (ExecStartPre migrate, ExecStart, User, Environment, NoNewPrivileges, bounding set, read-only /): health, sign-in, a domain', async () => {
      await withPanel(scratch, async ({ base, pid }) => {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8')
        assert(/^NoNewPrivs:\s+1$/m.test(status), 'NoNewPrivs is not set')
        const bounding = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(status)[1]}`)
        assert(!(bounding & (1n << CAP_SYS_ADMIN)) && (bounding & (1n << CAP_NET_ADMIN)), `bounding set ${bounding.toString(16)}`)
        assert(execFileSync('readlink', [`/proc/${pid}/exe`]).toString().trim() === NODE, 'not the bundled node')
        const health = await fetch(`${base}/api/v1/health`)
        const body = await json(health)
        assert(typeof body.status === 'string' && body.checks, `health: HTTP ${health.status} ${JSON.stringify(body).slice(0, 300)}`)
        const headers = await signIn(base)
        const created = await fetch(`${base}/api/v1/domains`, { method: 'POST', headers, body: JSON.stringify({ name: 'upgrade.pkg.test' }) })
        assert(created.status === 201 || created.status === 200, `create domain: HTTP ${created.status} ${await created.text()}`)
        // The start-up reconcile wrote the daemons' files (copies here) within the unit's write paths.
        const run = await lastReconcile(base, headers)
        const denied = run.errors.filter(e => /EROFS|read-only file system|EACCES|EPERM|Permission denied|could not write/i.test(e))
        assert(!denied.length, `the reconcile was refused a write: ${denied.join('; ')}`)
        if (args.verbose) process.stdout.write(`--- start-up reconcile: ok=${run.ok}, ${run.files.length} files, errors ${JSON.stringify(run.errors)}\n`)
      })
    })
    configSum = sha256(CONFIG)

    const hook = `/etc/letsencrypt/renewal-hooks/deploy/${NAME}`
    await check('the certbot deploy hook: does nothing inside the panel; otherwise reconciles (no unit running here)', async () => {
      assert(sh(hook, [], { env: { MAILPANEL_ROOT: '/' } }).trim() === '', 'the hook acted inside the panel')
      // In the unit's sandbox (the daemons' folders are copies), without the unit's MAILPANEL_ROOT, as certbot's timer runs it.
      const run = startAsUnit(UNIT, mkdtempSync(join(scratch, 'rw-')), [ETC], `env -u MAILPANEL_ROOT RENEWED_LINEAGE=/etc/letsencrypt/live/mail.pkg.test ${hook}`)
      const code = await new Promise(r => run.child.once('exit', r))
      assert(code === 0 && run.output().includes('renewed: reconciling'), `exit ${code}: ${run.output()}`)
    })

    await check(`upgrade to ${version}-${next}: config.env (byte for byte), JWT_SECRET, an edited conffile, the admin and the domain survive`, async () => {
      // An admin's edit of a conffile the new build did not change is kept without a question.
      const logrotate = `/etc/logrotate.d/${NAME}`
      const edited = readFileSync(logrotate, 'utf8').replace('rotate 52', 'rotate 12')
      writeFileSync(logrotate, edited)
      const out = sh('dpkg', ['-i', debNext])
      assert(readFileSync(logrotate, 'utf8') === edited, 'the edited logrotate rule was replaced')
      assert(installedVersion() === `install ok installed ${version}-${next}`, installedVersion())
      assert(!out.includes('wrote a random JWT_SECRET'), out)
      assert(/migrating the database schema\n(The schema is up to date|Applied)/.test(out), `postinst did not migrate: ${out}`)
      assert(sha256(CONFIG) === configSum && configValues().JWT_SECRET === secret && modeOf(CONFIG) === '600', 'config.env changed')
      await withPanel(scratch, async ({ base }) => {
        const headers = await signIn(base)
        const list = await json(await fetch(`${base}/api/v1/domains`, { headers }))
        assert(list.data?.some(d => d.name === 'upgrade.pkg.test'), `domains after the upgrade: ${JSON.stringify(list).slice(0, 300)}`)
      })
    })

    await check('dpkg -r keeps config.env and the state folder', () => {
      sh('dpkg', ['-r', NAME])
      assert(installedVersion().startsWith('deinstall ok config-files'), installedVersion())
      assert(!existsSync(`/usr/bin/${NAME}`) && !existsSync(UNIT), 'files left after remove')
      assert(existsSync(CONFIG) && configValues().JWT_SECRET === secret && existsSync(STATE), 'config or state gone after remove')
    })

    await check('dpkg --purge removes config, audit log and state', () => {
      sh('dpkg', ['--purge', NAME])
      assert(!installedVersion(), installedVersion())
      for (const p of [ETC, STATE, `/etc/logrotate.d/${NAME}`, `/etc/letsencrypt/renewal-hooks/deploy/${NAME}`]) assert(!existsSync(p), `${p} is still there`)
    })

    await check('a legacy /etc/backendside-mailpanel/.env is migrated in place to config.env (secret kept, 0600)', () => {
      const legacySecret = randomBytes(32).toString('hex')
      mkdirSync(ETC, { mode: 0o700 })
      writeFileSync(`${ETC}/.env`, `JWT_SECRET='${legacySecret}'\nMAIL_HOSTNAME='legacy.pkg.test'\n`, { mode: 0o640 })
      const out = sh('dpkg', ['-i', deb])
      assert(out.includes(`moved ${ETC}/.env to ${CONFIG}`), out)
      assert(!existsSync(`${ETC}/.env`) && modeOf(CONFIG) === '600', 'the legacy file is still there, or config.env is not 0600')
      const values = configValues()
      assert(values.JWT_SECRET === legacySecret && values.MAIL_HOSTNAME === 'legacy.pkg.test', JSON.stringify(values))
      sh('dpkg', ['--purge', NAME])
    })
  }
  finally {
    purgeIfInstalled()
    await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {})
    await admin.end()
    rmSync(scratch, { recursive: true, force: true })
  }
}

try {
  await main()
}
catch (err) {
  results.push(false)
  process.stdout.write(`✗ ${err.message}\n`)
}
const passed = results.filter(Boolean).length
const failed = results.length - passed
if (args.report) writeFileSync(args.report, JSON.stringify({ numPassedTests: passed, numFailedTests: failed }))
process.stdout.write(`${passed} passed, ${failed} failed\n`)
process.exitCode = failed ? 1 : 0
