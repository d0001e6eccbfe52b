import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { detectCapabilities } from '#server/mailstack/capabilities'
import { COMPONENTS } from '#server/mailstack/components'
import { DEFAULT_ANTISPAM, mailstackContext, type MailstackData } from '#server/mailstack/context'
import { reconcile } from '#server/mailstack/reconcile'
import { mailstackTemplates } from '#server/mailstack/templates'
import { resolvePaths } from '#server/utils/config'
import { testPki } from '../support/tls'
import type { Capabilities, MailComponentName, ReconcileReport } from '#shared/types/mailstack'

// The capability gate on this machine's real binaries: each optional helper taken off PATH (a PATH of
// symlinks to everything else), every feature switched off, and the content filters this machine does
// not have (clamsmtp, spampd) claimed present. Every run writes a configuration `postfix check` passes.
const exec = promisify(execFile)
const scratch = mkdtempSync(join(tmpdir(), 'antispam-render-'))
const pki = testPki()
const cert = pki.selfSigned('mail.render.test')
const certificate = { id: 1, certPem: cert.cert, keyPem: cert.key }
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
  pki.cleanup()
})

const OPTIONAL = COMPONENTS.filter(c => c.optional)
const templates = mailstackTemplates.fromDir()
const pkcs8 = (algorithm: 'rsa' | 'ed25519') => (algorithm === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : generateKeyPairSync('ed25519'))
  .privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const RSA_KEY = { domain: 'render.test', selector: 'mail', algorithm: 'rsa', signing: true, private_key: pkcs8('rsa') } as const
// An active Ed25519 key, so the second OpenDKIM is wanted and wired in too.
const ED25519_KEY = { domain: 'render.test', selector: 'ed', algorithm: 'ed25519', signing: true, private_key: pkcs8('ed25519') } as const
const everythingOn: MailstackData = {
  antispam: { ...DEFAULT_ANTISPAM, dnsbl_zones: ['zen.spamhaus.org=127.0.0.[2..11]', 'bl.spamcop.net'], clamav_enabled: true, spampd_enabled: true },
  whitelist: [{ kind: 'ip', value: '192.0.2.10' }, { kind: 'cidr', value: '198.51.100.0/24' }, { kind: 'domain', value: 'partner.example' }, { kind: 'email', value: 'postmaster@example.org' }],
  dkimKeys: [RSA_KEY, ED25519_KEY],
}

/** A PATH with every executable of this one except `missing` (symlinks, so the rest is the real thing). */
function pathWithout(missing: string[]): string {
  const dir = mkdtempSync(join(scratch, 'path-'))
  for (const from of (process.env.PATH ?? '').split(delimiter).filter(d => d && existsSync(d))) {
    for (const name of readdirSync(from)) {
      const target = join(from, name)
      if (missing.includes(name) || existsSync(join(dir, name))) continue
      try {
        if (statSync(target).isFile()) symlinkSync(target, join(dir, name))
      }
      catch { /* a dangling link */ }
    }
  }
  return dir
}

async function reconcileFresh(capabilities: Capabilities, data: MailstackData = everythingOn, root = mkdtempSync(join(scratch, 'root-'))) {
  const context = mailstackContext.build({ paths: resolvePaths(root), databaseUrl: 'postgres://mailpanel:render-pw@127.0.0.1:5432/mailpanel', mailHostname: 'mail.render.test' }, {}, data)
  const report = await reconcile({ trigger: 'test', dryRun: false, context, templates, capabilities, certificate })
  const read = (file: string) => readFileSync(join(context.postfix.config_directory, file), 'utf8')
  return { report, context, root, mainCf: read('main.cf'), masterCf: read('master.cf') }
}

/** `postfix check` on the live folder the run wrote (the reconciler already ran it on its staged copy). */
async function postfixCheck(configDirectory: string): Promise<void> {
  await exec('postfix', ['-c', configDirectory, 'check'])
}

const filesOf = (report: ReconcileReport, name: MailComponentName) => report.files.filter(f => f.daemon === name)

/** `127.0.0.1:10025` as an smtp(8) next hop: `[127.0.0.1]:10025`. */
const nexthop = (listen: string) => listen.replace(/^(.*):(\d+)$/, '[$1]:$2')

/** What each helper adds to Postfix's configuration when it is wired in. */
const WIRING: Record<string, (r: { mainCf: string, masterCf: string, context: ReturnType<typeof mailstackContext.build> }) => boolean> = {
  'opendkim': r => r.mainCf.includes(`unix:${r.context.opendkim.socket_path}`),
  'opendkim-ed25519': r => r.mainCf.includes(`unix:${r.context.opendkim_ed25519.socket_path}`),
  'opendmarc': r => r.mainCf.includes(`unix:${r.context.opendmarc.socket_path}`),
  'policyd-spf': r => r.mainCf.includes('unix:private/policyd-spf') && /^policyd-spf unix/m.test(r.masterCf),
  'postgrey': r => r.mainCf.includes(`inet:${r.context.postgrey.listen}`),
  'clamsmtp': r => r.masterCf.includes(`content_filter=scan:${nexthop(r.context.clamsmtp.listen)}`),
  // First in the chain, or where clamsmtpd hands clean mail on to.
  'spampd': (r) => {
    const clamsmtpConf = join(r.context.clamsmtp.config_directory, 'clamsmtpd.conf')
    return r.masterCf.includes(`content_filter=scan:${nexthop(r.context.spampd.listen)}`)
      || (WIRING.clamsmtp!(r) && existsSync(clamsmtpConf) && readFileSync(clamsmtpConf, 'utf8').includes(`OutAddress: ${r.context.spampd.listen}`))
  },
}

const claimed = (base: Capabilities, names: MailComponentName[]): Capabilities => ({
  ...base,
  ...Object.fromEntries(names.map(n => [n, { installed: true, binary: `/usr/sbin/${COMPONENTS.find(c => c.name === n)!.binary}` }])),
})

describe('the anti-spam capability gate on real Postfix', () => {
  it.each(OPTIONAL.map(c => [c.name, c.binary]))('%s off PATH (no %s): the run is ok, notes the skip, leaves its wiring out, and Postfix checks the rest', async (name, binary) => {
    const capabilities = detectCapabilities(pathWithout([binary]))
    expect(capabilities[name].installed).toBe(false)
    expect(capabilities.postfix.installed).toBe(true)
    const run = await reconcileFresh(capabilities)
    expect(run.report.errors).toEqual([])
    expect(run.report.ok).toBe(true)
    expect(run.report.notes).toContain(`${name} is not installed (no ${binary} on PATH): skipped (optional)`)
    expect(filesOf(run.report, name).length).toBeGreaterThan(0)
    expect(filesOf(run.report, name).every(f => f.result === 'skipped')).toBe(true)
    expect(WIRING[name]!(run)).toBe(false)
    // The helpers that are installed here are still wired in.
    for (const other of OPTIONAL.filter(c => c.name !== name && capabilities[c.name].installed)) expect(WIRING[other.name]!(run), other.name).toBe(true)
    await postfixCheck(run.context.postfix.config_directory)
  }, 30_000)

  it('every optional helper off PATH: plain Postfix and Dovecot, no helper wired, every skip noted', async () => {
    const run = await reconcileFresh(detectCapabilities(pathWithout(OPTIONAL.map(c => c.binary))))
    expect(run.report.errors).toEqual([])
    for (const c of OPTIONAL) {
      expect(run.report.notes).toContain(`${c.name} is not installed (no ${c.binary} on PATH): skipped (optional)`)
      expect(WIRING[c.name]!(run), c.name).toBe(false)
    }
    expect(run.mainCf).toMatch(/^smtpd_milters =$/m)
    expect(run.mainCf).toContain('reject_rbl_client zen.spamhaus.org=127.0.0.[2..11]')
    await postfixCheck(run.context.postfix.config_directory)
  }, 30_000)

  it('ClamAV and spampd claimed present: the after-queue filter chain passes postfix check', async () => {
    const run = await reconcileFresh(claimed(detectCapabilities(), ['clamsmtp', 'spampd']))
    expect(run.report.errors).toEqual([])
    expect(WIRING.clamsmtp!(run)).toBe(true)
    expect(run.masterCf).toContain(`${run.context.clamsmtp.reinject} inet n - n - 16 smtpd`)
    // clamsmtpd hands clean mail to spampd, which gives it back on the reinjection listener.
    expect(readFileSync(join(run.context.clamsmtp.config_directory, 'clamsmtpd.conf'), 'utf8')).toContain(`OutAddress: ${run.context.spampd.listen}`)
    expect(readFileSync(join(run.context.spampd.config_directory, 'spampd.env'), 'utf8')).toContain(run.context.clamsmtp.reinject)
    await postfixCheck(run.context.postfix.config_directory)

    const spampdOnly = await reconcileFresh(claimed(detectCapabilities(), ['spampd']), { ...everythingOn, antispam: { ...everythingOn.antispam, clamav_enabled: false } })
    expect(spampdOnly.report.errors).toEqual([])
    expect(spampdOnly.masterCf).toContain(`content_filter=scan:${nexthop(spampdOnly.context.spampd.listen)}`)
    await postfixCheck(spampdOnly.context.postfix.config_directory)
  }, 30_000)

  it('every feature switched off in the settings: the next run takes the wiring out again and Postfix checks it', async () => {
    const capabilities = detectCapabilities()
    const on = await reconcileFresh(capabilities)
    expect(on.report.errors).toEqual([])
    const off = { ...everythingOn, antispam: { ...everythingOn.antispam, dnsbl_enabled: false, greylist_enabled: false, spf_enabled: false, dmarc_enabled: false, clamav_enabled: false, spampd_enabled: false } }
    const run = await reconcileFresh(capabilities, off, on.root)
    expect(run.report.errors).toEqual([])
    expect(run.report.changed).toBe(true)
    for (const name of ['opendmarc', 'policyd-spf', 'postgrey'] as const) {
      // The setup installs them (CI runs it first): without them this case would prove nothing.
      expect(capabilities[name].installed, `${name} (the setup installs it)`).toBe(true)
      expect(WIRING[name]!(run), name).toBe(false)
      expect(run.report.notes).toContain(`${name}: turned off in the anti-spam settings: Postfix does not use it`)
    }
    expect(run.mainCf).not.toContain('reject_rbl_client')
    expect(run.masterCf).not.toContain('content_filter=scan')
    // DKIM has no switch: it keeps signing, with both algorithms.
    expect(WIRING.opendkim!(run)).toBe(true)
    expect(WIRING['opendkim-ed25519']!(run)).toBe(true)
    await postfixCheck(run.context.postfix.config_directory)
  }, 30_000)

  it('no active Ed25519 key: the second OpenDKIM is written but not wired in, and the run says why', async () => {
    const capabilities = detectCapabilities()
    expect(capabilities['opendkim-ed25519'].installed, 'opendkim (the setup installs it)').toBe(true)
    const run = await reconcileFresh(capabilities, { ...everythingOn, dkimKeys: [RSA_KEY, { ...ED25519_KEY, signing: false }] })
    expect(run.report.errors).toEqual([])
    expect(run.report.notes).toContain('opendkim-ed25519: no domain has an active Ed25519 key: Postfix does not use it')
    expect(WIRING['opendkim-ed25519']!(run)).toBe(false)
    expect(run.mainCf).toContain(`mailpanel_submission_milters = unix:${run.context.opendkim.socket_path}\n`)
    expect(filesOf(run.report, 'opendkim-ed25519').every(f => f.result === 'created')).toBe(true)
    await postfixCheck(run.context.postfix.config_directory)
  }, 30_000)
})
