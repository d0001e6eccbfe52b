import { describe, expect, it } from 'vitest'
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
  const files = mailstack.render(ctx, templates).filter(f => f.daemon === 'opendkim')
  return { files, keys: { rsaOld, rsaNew, ed } }
}

const lines = (f: RenderedFile) => f.content.split('\n').filter(l => l && !l.startsWith('#'))
const named = (files: RenderedFile[], path: string) => files.find(f => f.path === path)!

describe('OpenDKIM rendering', () => {
  it('KeyTable and SigningTable name the signing RSA keys only (an Ed25519 key would make OpenDKIM 2.11 answer 451); TrustedHosts is loopback', async () => {
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

  it('without Ed25519 keys there is one signature per message', async () => {
    const k = await generateDkimKey('rsa', 1024)
    const ctx = mailstackContext.build({ paths: resolvePaths('/'), databaseUrl: 'postgres://u:p@127.0.0.1/db', mailHostname: 'mail.example.test' }, {}, {
      dkimKeys: [{ domain: 'example.test', selector: 'mail', algorithm: 'rsa', signing: true, private_key: k.privateKey }],
    })
    const conf = mailstack.render(ctx, templates).find(f => f.path === '/etc/opendkim/opendkim.conf')!.content
    expect(conf).not.toContain('MultipleSignatures')
  })
})
