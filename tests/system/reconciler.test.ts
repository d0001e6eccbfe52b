import { execFile } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailstackTemplates } from '#server/mailstack/templates'
import { api as apiAt } from '../support/client'
import { imapView } from '../support/mail-clients'
import { MAIL_HOSTNAME, startManagedStack, waitForRun, type ManagedStack } from '../support/managed-stack'
import { createTestDatabase, freePort, makeRoot, removeRoot, startServer } from '../support/server'
import { testPki } from '../support/tls'
import type { FileResult, ReconcileReport, ReconcileStatus, ReloadResult } from '#shared/types/mailstack'
import type { Serialized } from '#shared/types/wire'

type Report = Serialized<ReconcileReport> & { message: string }
type Status = Serialized<ReconcileStatus>

const bundled = mailstackTemplates.fromDir()

/** The SHA-256 fingerprint of the certificate a server presents after STARTTLS (as X509Certificate prints it). */
async function presented(port: number, protocol: 'smtp' | 'imap' = 'smtp'): Promise<string> {
  const stdout = await new Promise<string>((resolve) => {
    const child = execFile('openssl', ['s_client', '-starttls', protocol, '-connect', `127.0.0.1:${port}`, '-servername', MAIL_HOSTNAME],
      { timeout: 10_000 }, (_err, out) => resolve(out))
    child.stdin!.end() // s_client quits at the end of its input
  })
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0]
  return pem ? new X509Certificate(pem).fingerprint256 : `(no certificate presented on ${port})`
}

/** The first line a server sends (an SMTP banner). */
function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    s.once('data', (d) => {
      s.destroy()
      resolve(d.toString())
    })
    s.once('error', reject)
  })
}

describe('the reconciler against real Postfix and Dovecot', () => {
  let stack: ManagedStack
  let overrides = ''
  const live = (name: string) => join(name.startsWith('dovecot') ? stack.ctx.dovecot.config_directory : stack.ctx.postfix.config_directory, name)
  const fingerprint = (path: string) => {
    const st = statSync(path)
    return { sha: createHash('sha256').update(readFileSync(path)).digest('hex'), mtime: st.mtimeMs, ino: st.ino, mode: st.mode & 0o7777 }
  }
  const allFiles = () => [...['main.cf', 'master.cf', 'pgsql-virtual-domains.cf', 'pgsql-virtual-mailboxes.cf', 'pgsql-virtual-aliases.cf',
    'pgsql-sender-login.cf', 'antispam-clients.cidr', 'antispam-client-domains', 'antispam-recipients', 'dovecot.conf', 'dovecot-sql.conf.ext'].map(live),
  stack.ctx.tls.cert_file, stack.ctx.tls.key_file]
  const reconcileNow = async (query = '') => {
    const res = await stack.api<Report>(`/api/v1/reconcile${query}`, { method: 'POST' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body
  }
  const reloads = (r: { reloads: ReloadResult[] }) => Object.fromEntries(r.reloads.map(x => [x.daemon, x.result]))
  const resultOf = (r: { files: FileResult[] }, name: string) => r.files.find(f => f.path === live(name))?.result
  const override = (name: string, content: string) => {
    mkdirSync(join(overrides, name, '..'), { recursive: true })
    writeFileSync(join(overrides, name), content)
  }
  const dropOverrides = () => rmSync(overrides, { recursive: true, force: true })
  const dovecotReloads = () => (readFileSync(stack.ctx.dovecot.log_path, 'utf8').match(/SIGHUP received - reloading configuration/g) ?? []).length
  const postfixReloads = () => (readFileSync(stack.ctx.postfix.maillog_file, 'utf8').match(/postfix\/master\[\d+\]: reload/g) ?? []).length

  beforeAll(async () => {
    stack = await startManagedStack()
    overrides = join(stack.server.root, 'etc/backendside-mailpanel/templates')
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('records every run: status shows the last one, per-file results and the daemons this machine has', async () => {
    const status = (await stack.api<Status>('/api/v1/reconcile/status')).body
    expect(status.capabilities).toMatchObject({ postfix: { installed: true }, dovecot: { installed: true } })
    expect(status.last_run).toMatchObject({ trigger: 'settings', ok: true, dry_run: false, errors: [] })
    // The core's files (the optional components this machine has add their own: their tests check them).
    const core = status.last_run!.files.filter(f => ['postfix', 'dovecot', 'tls'].includes(f.daemon))
    expect(core.map(f => f.path).sort()).toEqual(allFiles().sort())
    expect(status.last_success_at).toBe(status.last_run!.finished_at)
    // The database password is only in the files the daemons' groups may read.
    for (const f of ['pgsql-virtual-domains.cf', 'dovecot-sql.conf.ext']) {
      expect(readFileSync(live(f), 'utf8')).toContain(stack.dbPassword)
      expect(fingerprint(live(f)).mode).toBe(0o640)
    }
  })

  it('a run with nothing to change touches no file and reloads nothing', async () => {
    const before = allFiles().map(fingerprint)
    const [dovecotBefore, postfixBefore] = [dovecotReloads(), postfixReloads()]
    const report = await reconcileNow()
    expect(report).toMatchObject({ ok: true, changed: false, reloads: [], errors: [] })
    // Components whose binary this machine lacks report their files as skipped, never written.
    expect(report.files.filter(f => f.result !== 'unchanged' && f.result !== 'skipped')).toEqual([])
    expect(allFiles().map(fingerprint)).toEqual(before)
    expect([dovecotReloads(), postfixReloads()]).toEqual([dovecotBefore, postfixBefore])
  })

  it('a dry run is a plan: a unified diff with the password redacted, validated, nothing written', async () => {
    override('postfix/main.cf.liquid', `${bundled['postfix/main.cf.liquid']}smtpd_banner = $myhostname ESMTP planned-banner\n`)
    override('postfix/pgsql-virtual-domains.cf.liquid', bundled['postfix/pgsql-virtual-domains.cf.liquid']!.replace('# Key: a domain name.', '# Key: a domain name (local edit).'))
    const before = allFiles().map(fingerprint)
    const plan = await reconcileNow('?dry_run=true')
    expect(plan.ok).toBe(true)
    expect(resultOf(plan, 'main.cf')).toBe('would-update')
    expect(resultOf(plan, 'pgsql-virtual-domains.cf')).toBe('would-update')
    expect(resultOf(plan, 'dovecot.conf')).toBe('unchanged')
    expect(plan.diff).toContain(`--- ${live('main.cf')}`)
    expect(plan.diff).toMatch(/^\+smtpd_banner = \$myhostname ESMTP planned-banner$/m)
    expect(plan.diff).toMatch(/^-# Key: a domain name\. Found/m)
    expect(plan.diff).toContain('password = ********')
    expect(plan.diff).not.toContain(stack.dbPassword)
    expect(plan.notes).toContain('local template overrides in use: postfix/main.cf.liquid, postfix/pgsql-virtual-domains.cf.liquid')
    expect(allFiles().map(fingerprint)).toEqual(before)
    expect(await banner(stack.ports.smtp)).not.toContain('planned-banner')
    // Plans are not runs: the status still shows the last real one.
    expect((await stack.api<Status>('/api/v1/reconcile/status')).body.last_run!.dry_run).toBe(false)
  })

  it('applying it reloads Postfix only, and the new setting is live', async () => {
    const dovecotBefore = dovecotReloads()
    const report = await reconcileNow()
    expect(report).toMatchObject({ ok: true, changed: true })
    expect(resultOf(report, 'main.cf')).toBe('updated')
    expect(reloads(report)).toEqual({ postfix: 'reloaded' })
    expect(dovecotReloads()).toBe(dovecotBefore)
    // The master re-reads main.cf on reload; new smtpd processes carry the new banner.
    await expect.poll(() => banner(stack.ports.smtp), { timeout: 10_000 }).toContain('planned-banner')
    dropOverrides()
  })

  it('a broken template is refused by the daemon\'s checker and the running configuration is untouched', async () => {
    const before = allFiles().map(fingerprint)
    override('postfix/main.cf.liquid', `${bundled['postfix/main.cf.liquid']}this line has no equals sign\n`)
    override('dovecot/dovecot.conf.liquid', `${bundled['dovecot/dovecot.conf.liquid']}no_such_dovecot_setting = 1\n`)
    const report = await reconcileNow()
    expect(report.ok).toBe(false)
    expect(report.message).toMatch(/^Reconcile failed: /)
    expect(resultOf(report, 'main.cf')).toBe('refused')
    expect(resultOf(report, 'dovecot.conf')).toBe('refused')
    expect(report.files.find(f => f.path === live('main.cf'))!.error).toMatch(/missing '=' after attribute name: "this line has no equals sign"/)
    expect(report.errors.join('\n')).toMatch(/Unknown setting: no_such_dovecot_setting/)
    expect(report.errors.join('\n')).not.toContain('.mailpanel-staging-')
    expect(report.reloads).toEqual([])
    expect(allFiles().map(fingerprint)).toEqual(before)
    // No staging leftovers, and both daemons still serve the old configuration.
    expect(readdirSync(stack.ctx.postfix.config_directory).filter(n => n.startsWith('.'))).toEqual([])
    expect(await banner(stack.ports.smtp)).toMatch(/^220 /)
    const status = (await stack.api<Status>('/api/v1/reconcile/status')).body
    expect(status.last_run!.ok).toBe(false)
    expect(status.last_success_at).not.toBe(status.last_run!.finished_at)
  })

  it('a template that does not render is an error before anything is staged', async () => {
    override('postfix/main.cf.liquid', '{% if %}')
    const report = await reconcileNow()
    expect(report.ok).toBe(false)
    expect(report.errors[0]).toMatch(/^render failed, nothing was written: /)
    expect(report.files).toEqual([])
    dropOverrides()
    // Without the overrides the bundled templates are back and nothing differs from disk.
    const clean = await reconcileNow()
    expect(clean.ok, JSON.stringify(clean.errors)).toBe(true)
  })

  it('a file edited by hand is put back; a changed mode is corrected without a reload', async () => {
    writeFileSync(live('master.cf'), `${readFileSync(live('master.cf'), 'utf8')}# hand edit\n`)
    chmodSync(live('pgsql-virtual-aliases.cf'), 0o644)
    const report = await reconcileNow()
    expect(report.ok).toBe(true)
    expect(resultOf(report, 'master.cf')).toBe('updated')
    expect(resultOf(report, 'pgsql-virtual-aliases.cf')).toBe('permissions')
    expect(fingerprint(live('pgsql-virtual-aliases.cf')).mode).toBe(0o640)
    expect(readFileSync(live('master.cf'), 'utf8')).not.toContain('# hand edit')
    expect(reloads(report)).toEqual({ postfix: 'reloaded' })
  })

  it('a listen setting changed over the API is applied by the reconciler, reloading Dovecot only', async () => {
    const newPort = await freePort()
    const postfixBefore = postfixReloads()
    const res = await stack.api('/api/v1/config/mailstack', { method: 'PUT', body: { imap_port: newPort } })
    expect(res.status).toBe(200)
    await waitForRun(stack.api, 'settings')
    const run = (await stack.api<Status>('/api/v1/reconcile/status')).body.last_run!
    expect(run.ok).toBe(true)
    expect(resultOf(run, 'dovecot.conf')).toBe('updated')
    expect(reloads(run)).toEqual({ dovecot: 'reloaded' })
    expect(postfixReloads()).toBe(postfixBefore)
    // A login on the new port; the mailbox does not exist, so the answer is a clean NO.
    await expect.poll(async () => (await imapView(newPort, 'nobody@nowhere.test', 'x')).login, { timeout: 10_000 }).toBe(false)
    stack.ports.imap = newPort
  })

  it('an uploaded certificate is installed by the reconciler; both daemons reload and serve it on STARTTLS', async () => {
    const pki = testPki()
    try {
      const leaf = pki.ca.issue({ names: [MAIL_HOSTNAME] })
      const before = await presented(stack.ports.submission)
      const up = await stack.api<{ id: number }>('/api/v1/certificates', { body: { certificate: `${leaf.cert}${pki.ca.cert}`, private_key: leaf.key } })
      expect(up.status, JSON.stringify(up.body)).toBe(201)
      await waitForRun(stack.api, 'certificates')
      const run = (await stack.api<Status>('/api/v1/reconcile/status')).body.last_run!
      expect(run.ok, JSON.stringify(run.errors)).toBe(true)
      expect(run.files.filter(f => f.daemon === 'tls').map(f => f.result)).toEqual(['updated', 'updated'])
      expect(reloads(run)).toEqual({ postfix: 'reloaded', dovecot: 'reloaded' })
      expect(run.notes).toContain(`tls: installed certificate ${up.body.id}`)
      expect(fingerprint(stack.ctx.tls.key_file).mode).toBe(0o600)
      const leafFingerprint = new X509Certificate(leaf.cert).fingerprint256
      expect(before).not.toBe(leafFingerprint)
      await expect.poll(() => presented(stack.ports.submission), { timeout: 10_000 }).toBe(leafFingerprint)
      await expect.poll(() => presented(stack.ports.imap, 'imap'), { timeout: 10_000 }).toBe(leafFingerprint)
    }
    finally {
      pki.cleanup()
    }
  })

  it('settings are validated: bad addresses, ports out of range and two services on one port are 400s', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ smtp_listen: '127.0.0.1:0' }, /smtp_listen/],
      [{ smtp_listen: 'localhost:25; rm -rf /' }, /smtp_listen/],
      [{ submission_listen: '[::1]' }, /submission_listen/],
      [{ imap_listen: '*, $(reboot)' }, /imap_listen/],
      [{ imap_port: 70000 }, /imap_port/],
      [{ inet_protocols: 'ipx' }, /inet_protocols/],
      [{ auth_failure_delay: -1 }, /auth_failure_delay/],
      [{ imaps_port: stack.ports.imap }, /imap_port and imaps_port both use port/],
      [{}, /at least one field/],
    ]
    const before = (await stack.api('/api/v1/config/mailstack')).body
    for (const [body, detail] of cases) {
      const res = await stack.api<{ code: string, detail: string }>('/api/v1/config/mailstack', { method: 'PUT', body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.code).toBe('VALIDATION_FAILED')
      expect(res.body.detail).toMatch(detail)
    }
    expect((await stack.api('/api/v1/config/mailstack')).body).toEqual(before)
  })
})

describe('the capability gate', () => {
  it('a machine without Postfix and Dovecot binaries gets notes, not errors, and no files', async () => {
    const db = await createTestDatabase()
    const root = await makeRoot()
    const server = await startServer({ root, databaseUrl: db.url }) // PATH without the sbin folders
    try {
      const api = <T>(path: string, method = 'GET') => apiAt<T>(path, { baseUrl: server.url, method })
      const report = (await api<Report>('/api/v1/reconcile', 'POST')).body
      expect(report.ok).toBe(true)
      expect(report.notes).toEqual(expect.arrayContaining([
        expect.stringMatching(/^postfix is not installed \(no postfix on PATH\)/),
        expect.stringMatching(/^dovecot is not installed \(no dovecot on PATH\)/),
      ]))
      expect(report.files.length).toBeGreaterThan(0)
      expect(report.files.every(f => f.result === 'skipped')).toBe(true)
      expect(existsSync(join(root, 'etc/postfix'))).toBe(false)
      const status = (await api<Status>('/api/v1/reconcile/status')).body
      expect(status.capabilities).toMatchObject({ postfix: { installed: false }, dovecot: { installed: false } })
    }
    finally {
      await server.stop()
      await db.drop()
      removeRoot(root)
    }
  })
})
