import { describe, expect, it } from 'vitest'
import { generateDkimKey } from '#server/services/dkim/keygen'
import { isPanelFile, panelTxtFile, parseKeyTxt } from '#server/services/dkim/key-files'
import { dkimRecord, splitTxt } from '#server/services/dkim/record'

// opendkim-genkey -b 1024 -d example.test -s old, as an install from before the panel left it.
const GENKEY_TXT = `old._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "
\t  "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC5nMoAW5b3Q9E6SO99vQ15hNdRyZgyuNiGyADXkqwMbwzievNLmXFYswVnuRV2fhBfFCcW0FWDf9wXz1vjsMhA9mmdvRMOs2J0fGNkbMLBwVpNf8r1XFmMax9Y3zOU40Bpd0IDZRQegedaU9KWc1bcI/ZSESEF5+P5UVjNiHOJ1QIDAQAB" )  ; ----- DKIM key old for example.test
`

describe('DKIM TXT records', () => {
  it('cuts a value into strings of at most 255 bytes that join back to it', () => {
    const value = 'x'.repeat(600)
    const parts = splitTxt(value)
    expect(parts.map(p => p.length)).toEqual([255, 255, 90])
    expect(parts.join('')).toBe(value)
    expect(splitTxt('short')).toEqual(['short'])
  })

  it('a 4096-bit RSA key needs several strings; the zone line quotes each', async () => {
    const key = await generateDkimKey('rsa', 4096)
    const record = dkimRecord('example.test', 'mail', 'rsa', key.publicKey)
    expect(record.name).toBe('mail._domainkey.example.test')
    expect(record.value).toBe(`v=DKIM1; k=rsa; p=${key.publicKey}`)
    expect(record.strings.length).toBeGreaterThan(2)
    expect(record.strings.every(s => Buffer.byteLength(s) <= 255)).toBe(true)
    expect(record.strings.join('')).toBe(record.value)
    expect(record.zone_line).toBe(`mail._domainkey.example.test. IN TXT ( ${record.strings.map(s => `"${s}"`).join(' ')} )`)
  }, 60_000)

  it('an Ed25519 record carries the bare 32-byte key (RFC 8463)', async () => {
    const key = await generateDkimKey('ed25519', 256)
    expect(Buffer.from(key.publicKey, 'base64')).toHaveLength(32)
    expect(key.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(dkimRecord('example.test', 'ed', 'ed25519', key.publicKey).value).toBe(`v=DKIM1; k=ed25519; p=${key.publicKey}`)
  })
})

describe('key .txt files', () => {
  it('parses opendkim-genkey output: the joined record, its algorithm and key length', () => {
    const parsed = parseKeyTxt(GENKEY_TXT)!
    expect(parsed.algorithm).toBe('rsa')
    expect(parsed.bits).toBe(1024)
    expect(parsed.value).toMatch(/^v=DKIM1; h=sha256; k=rsa; p=MIGfMA0G.*IDAQAB$/)
    expect(isPanelFile(GENKEY_TXT)).toBe(false)
  })

  it('reads back the file the panel writes, and knows it as its own', async () => {
    const key = await generateDkimKey('rsa', 1024)
    const record = dkimRecord('example.test', 'mail', 'rsa', key.publicKey)
    const txt = panelTxtFile(record.zone_line)
    expect(isPanelFile(txt)).toBe(true)
    expect(parseKeyTxt(txt)).toMatchObject({ value: record.value, publicKey: key.publicKey, bits: 1024 })
  })

  it('is not fooled by files that are no key record', () => {
    expect(parseKeyTxt('hello')).toBeUndefined()
    expect(parseKeyTxt('x IN TXT ( "v=spf1 -all" )')).toBeUndefined()
    expect(parseKeyTxt('x IN TXT ( "v=DKIM1; k=rsa; p=bm90IGEga2V5" )')).toBeUndefined()
  })
})
