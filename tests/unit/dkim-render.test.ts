import { describe, expect, it } from 'vitest'
import { opendkimEd25519 } from '#server/mailstack/components/opendkim-ed25519'
import { mailstackContext } from '#server/mailstack/context'
import { mailstack, type RenderedFile } from '#server/mailstack/render'
import { mailstackTemplates } from '#server/mailstack/templates'
import { generateDkimKey } from '#server/services/dkim/keygen'
import { isPanelFile, parseKeyTxt } from '#server/services/dkim/key-files'
import { resolvePaths } from '#server/utils/config'

const templates = mailstackTemplates.fromDir()

async function render(root: string) {
  const [rsaOld, rsaNew, ed] = await Promise.all([generateDkimKey('rsa', 1024), generateDkimKey('rsa', 1024), generateDkimKey('ed25519', 256)])
  const ctx = mailstackContext.build({ paths: resolvePaths(root), databaseUrl: 'postgres://u:p@127.0.0.1/db', mailHostname: 'mail.example.test' }, {}, {
    dkimKeys: [
      { domain: 'example.test', selector: 'ed', algorithm: 'ed25519', signing: true, private_key: ed.privateKey },
      { domain: 'example.test', selector: 'mail', algorithm: 'rsa', signing: false, private_key: rsaOld.privateKey },
      { domain: 'example.test', selector: 'mail2', algorithm: 'rsa', signing: true, private_key: rsaNew.privateKey },
    ],
  })
  const all = mailstack.render(ctx, templates)
  return { files: all.filter(f => f.daemon === 'opendkim'), ed25519: all.filter(f => f.daemon === 'opendkim-ed25519'), all, keys: { rsaOld, rsaNew, ed } }
}

const lines = (f: RenderedFile) => f.content.split('\n').filter(l => l && !l.startsWith('#'))
const named = (files: RenderedFile[], path: string) => files.find(f => f.path === path)!

describe('OpenDKIM rendering', () => {
  it('KeyTable and SigningTable name the signing RSA keys only (an Ed25519 key would make the rsa-sha256 process answer 451); TrustedHosts is loopback', async () => {
    const { files } = await render('/')
    expect(lines(named(files, '/etc/opendkim/KeyTable'))).toEqual([
      'mail2._domainkey.example.test example.test:mail2:/etc/opendkim/keys/example.test/mail2.private',
    ])
    expect(lines(named(files, '/etc/opendkim/SigningTable'))).toEqual([
      '*@example.test mail2._domainkey.example.test',
    ])
    expect(lines(named(files, '/etc/opendkim/TrustedHosts'))).toEqual(['127.0.0.1', '::1'])
  })

  it('opendkim.conf: sv mode on the context socket, safe keys required on a real root', async () => {
    const { files } = await render('/')
    const conf = named(files, '/etc/opendkim/opendkim.conf').content
    for (const line of ['Mode sv', 'Canonicalization relaxed/simple', 'Socket local:/run/opendkim/opendkim.sock', 'PidFile /run/opendkim/opendkim.pid',
      'UserID opendkim:opendkim', 'UMask 007', 'SigningTable refile:/etc/opendkim/SigningTable', 'InternalHosts /etc/opendkim/TrustedHosts',
      'ExternalIgnoreList /etc/opendkim/TrustedHosts', 'OversignHeaders From', 'SignatureAlgorithm rsa-sha256']) {
      expect(conf.replace(/[ \t]+/g, ' ')).toContain(`\n${line}\n`)
    }
    expect(conf).not.toContain('RequireSafeKeys')
    const scratch = named((await render('/tmp/x')).files, '/tmp/x/etc/opendkim/opendkim.conf').content
    expect(scratch).toMatch(/^RequireSafeKeys\s+false$/m)
  })

  it('every published key has its private file (0600, opendkim) and a panel-marked .txt with its record', async () => {
    const { files, keys } = await render('/')
    const priv = named(files, '/etc/opendkim/keys/example.test/mail.private')
    expect(priv).toMatchObject({ content: keys.rsaOld.privateKey, mode: 0o600, owner: 'opendkim' })
    const txt = named(files, '/etc/opendkim/keys/example.test/mail.txt')
    expect(isPanelFile(txt.content)).toBe(true)
    expect(parseKeyTxt(txt.content)?.publicKey).toBe(keys.rsaOld.publicKey)
    expect(parseKeyTxt(named(files, '/etc/opendkim/keys/example.test/ed.txt').content)?.publicKey).toBe(keys.ed.publicKey)
  })

  it('the second OpenDKIM signs ed25519-sha256 (Mode s) with the active Ed25519 keys only, read from the shared keys folder', async () => {
    const { ed25519, all } = await render('/')
    expect(ed25519.map(f => f.path)).toEqual(['opendkim.conf', 'KeyTable', 'SigningTable', 'TrustedHosts'].map(n => `/etc/opendkim-ed25519/${n}`))
    expect(lines(named(ed25519, '/etc/opendkim-ed25519/KeyTable'))).toEqual([
      'ed._domainkey.example.test example.test:ed:/etc/opendkim/keys/example.test/ed.private',
    ])
    expect(lines(named(ed25519, '/etc/opendkim-ed25519/SigningTable'))).toEqual(['*@example.test ed._domainkey.example.test'])
    expect(lines(named(ed25519, '/etc/opendkim-ed25519/TrustedHosts'))).toEqual(['127.0.0.1', '::1'])
    const conf = named(ed25519, '/etc/opendkim-ed25519/opendkim.conf').content.replace(/[ \t]+/g, ' ')
    for (const line of ['Mode s', 'SignatureAlgorithm ed25519-sha256', 'Canonicalization relaxed/simple', 'UserID opendkim:opendkim',
      'Socket local:/run/opendkim-ed25519/opendkim.sock', 'PidFile /run/opendkim-ed25519/opendkim.pid', 'KeyTable /etc/opendkim-ed25519/KeyTable',
      'SigningTable refile:/etc/opendkim-ed25519/SigningTable', 'InternalHosts /etc/opendkim-ed25519/TrustedHosts', 'OversignHeaders From']) {
      expect(conf).toContain(`\n${line}\n`)
    }
    // The key file itself is the RSA component's, written once for both processes.
    expect(all.filter(f => f.path === '/etc/opendkim/keys/example.test/ed.private').map(f => f.daemon)).toEqual(['opendkim'])
  })

  it('the Ed25519 process is wanted only while some domain has an active Ed25519 key', async () => {
    const { ed } = (await render('/')).keys
    const withKey = (signing: boolean) => mailstackContext.build({ paths: resolvePaths('/'), databaseUrl: 'postgres://u:p@127.0.0.1/db', mailHostname: 'mail.example.test' }, {}, {
      dkimKeys: [{ domain: 'example.test', selector: 'ed', algorithm: 'ed25519', signing, private_key: ed.privateKey }],
    })
    expect(opendkimEd25519.wanted!(withKey(true))).toBe(true)
    expect(opendkimEd25519.wanted!(withKey(false))).toBe(false)
    expect(opendkimEd25519.binary).toBe('opendkim')
  })

  it('main.cf wires the Ed25519 milter right after OpenDKIM\'s, before OpenDMARC, only while it is active', async () => {
    const { rsaNew, ed } = (await render('/')).keys
    const ctx = mailstackContext.build({ paths: resolvePaths('/'), databaseUrl: 'postgres://u:p@127.0.0.1/db', mailHostname: 'mail.example.test' }, {}, {
      dkimKeys: [
        { domain: 'example.test', selector: 'ed', algorithm: 'ed25519', signing: true, private_key: ed.privateKey },
        { domain: 'example.test', selector: 'mail', algorithm: 'rsa', signing: true, private_key: rsaNew.privateKey },
      ],
    })
    const milters = () => mailstack.render(ctx, templates).find(f => f.path === '/etc/postfix/main.cf')!.content.split('\n').filter(l => /^\w+_milters =/.test(l))
    const [rsa, ed25519, dmarc] = ['unix:/run/opendkim/opendkim.sock', 'unix:/run/opendkim-ed25519/opendkim.sock', 'unix:/run/opendmarc/opendmarc.sock']
    Object.assign(ctx.active, { 'opendkim': true, 'opendkim-ed25519': true, 'opendmarc': true })
    expect(milters()).toEqual([`smtpd_milters = ${rsa}, ${ed25519}, ${dmarc}`, `non_smtpd_milters = ${rsa}, ${ed25519}`, `mailpanel_submission_milters = ${rsa}, ${ed25519}`])
    ctx.active.opendmarc = false
    expect(milters()).toEqual([`smtpd_milters = ${rsa}, ${ed25519}`, `non_smtpd_milters = ${rsa}, ${ed25519}`, `mailpanel_submission_milters = ${rsa}, ${ed25519}`])
    Object.assign(ctx.active, { 'opendkim-ed25519': false, 'opendmarc': true })
    expect(milters()).toEqual([`smtpd_milters = ${rsa}, ${dmarc}`, `non_smtpd_milters = ${rsa}`, `mailpanel_submission_milters = ${rsa}`])
    Object.assign(ctx.active, { opendkim: false })
    expect(milters()).toEqual([`smtpd_milters = ${dmarc}`, 'non_smtpd_milters =', 'mailpanel_submission_milters ='])
  })

  it('without Ed25519 keys there is one signature per message', async () => {
    const k = await generateDkimKey('rsa', 1024)
    const ctx = mailstackContext.build({ paths: resolvePaths('/'), databaseUrl: 'postgres://u:p@127.0.0.1/db', mailHostname: 'mail.example.test' }, {}, {
      dkimKeys: [{ domain: 'example.test', selector: 'mail', algorithm: 'rsa', signing: true, private_key: k.privateKey }],
    })
    const conf = mailstack.render(ctx, templates).find(f => f.path === '/etc/opendkim/opendkim.conf')!.content
    expect(conf).not.toContain('MultipleSignatures')
  })
})
