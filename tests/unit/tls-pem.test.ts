import { createHash, X509Certificate } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { pem, PemError } from '#server/services/tls/pem'
import { testPki } from '../support/tls'

const DAY_MS = 86_400_000
const HOST = 'mail.example.test'
const pki = testPki()
afterAll(() => pki.cleanup())

const good = pki.ca.issue({ names: [HOST, 'imap.example.test'] })

function failure(input: Parameters<typeof pem.checkPair>[0]): PemError {
  try {
    pem.checkPair(input)
  }
  catch (err) {
    if (err instanceof PemError) return err
    throw err
  }
  throw new Error('expected a PemError')
}

describe('pem.checkPair', () => {
  it('accepts a matching pair that covers the hostname and describes the leaf', () => {
    const { meta, certPem, keyPem } = pem.checkPair({ certificate: good.cert, privateKey: good.key, hostname: HOST })
    const der = new X509Certificate(good.cert).raw
    expect(meta.fingerprint_sha256).toBe(createHash('sha256').update(der).digest('hex'))
    expect(meta.san).toEqual([HOST, 'imap.example.test'])
    expect(meta.subject).toBe(`CN=${HOST}`)
    expect(meta.issuer).toBe('CN=MailPanel Test Root CA')
    expect(meta.not_before.getTime()).toBeLessThan(Date.now())
    expect(meta.not_after.getTime() - Date.now()).toBeGreaterThan(89 * DAY_MS)
    expect(certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/)
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    // Covered by the second SAN as well; without a hostname, coverage is not checked.
    expect(() => pem.checkPair({ certificate: good.cert, privateKey: good.key, hostname: 'imap.example.test' })).not.toThrow()
    expect(() => pem.checkPair({ certificate: good.cert, privateKey: good.key })).not.toThrow()
  })

  it('drops text around the blocks (openssl pkcs12 "Bag Attributes" and the like) and accepts ECDSA keys', () => {
    const ec = pki.ca.issue({ names: [HOST], keyType: 'ec' })
    const { certPem } = pem.checkPair({ certificate: `subject=CN = ${HOST}\n${ec.cert}\n\n`, privateKey: `Bag Attributes\n${ec.key}`, hostname: HOST })
    expect(certPem).toBe(new X509Certificate(ec.cert).toString())
  })

  it('refuses a key that belongs to another certificate', () => {
    const other = pki.ca.issue({ names: [HOST] })
    const err = failure({ certificate: good.cert, privateKey: other.key, hostname: HOST })
    expect(err.field).toBe('private_key')
    expect(err.message).toMatch(/does not belong to the certificate/)
  })

  it('refuses an expired certificate and one not valid yet, saying which', () => {
    const expired = pki.ca.issue({ names: [HOST], from: new Date('2020-01-01T00:00:00Z'), to: new Date('2021-01-01T00:00:00Z') })
    const err = failure({ certificate: expired.cert, privateKey: expired.key, hostname: HOST })
    expect(err.field).toBe('certificate')
    expect(err.message).toBe('certificate: has expired (valid until 2021-01-01T00:00:00.000Z)')

    const future = pki.ca.issue({ names: [HOST], from: new Date(Date.now() + 10 * DAY_MS), to: new Date(Date.now() + 100 * DAY_MS) })
    expect(failure({ certificate: future.cert, privateKey: future.key, hostname: HOST }).message).toMatch(/^certificate: is not valid yet \(valid from 20\d\d-/)
    // The window is checked against the clock given.
    expect(() => pem.checkPair({ certificate: future.cert, privateKey: future.key, now: new Date(Date.now() + 11 * DAY_MS) })).not.toThrow()
  })

  it('refuses a hostname the certificate does not cover', () => {
    const err = failure({ certificate: good.cert, privateKey: good.key, hostname: 'mx.example.test' })
    expect(err.field).toBe('hostname')
    expect(err.message).toBe(`hostname: the certificate does not cover mx.example.test (it is for ${HOST}, imap.example.test)`)
  })

  it('matches wildcards by whole label only, and a wildcard target only by the same wildcard', () => {
    const wild = pki.ca.issue({ names: ['*.example.test'] })
    const check = (hostname: string) => () => pem.checkPair({ certificate: wild.cert, privateKey: wild.key, hostname })
    expect(check(HOST)).not.toThrow()
    expect(check('*.example.test')).not.toThrow()
    expect(check('example.test')).toThrow(PemError)
    expect(check('a.mail.example.test')).toThrow(PemError)
    expect(check('*.other.test')).toThrow(PemError)
    // A plain certificate does not "cover" a wildcard target.
    expect(() => pem.checkPair({ certificate: good.cert, privateKey: good.key, hostname: '*.example.test' })).toThrow(PemError)
  })

  it('uses the CN only when the certificate has no DNS names', () => {
    const cnOnly = pki.selfSigned(HOST, { san: [] })
    expect(() => pem.checkPair({ certificate: cnOnly.cert, privateKey: cnOnly.key, hostname: HOST })).not.toThrow()
    const withSan = pki.selfSigned(HOST, { san: ['other.example.test'] })
    expect(failure({ certificate: withSan.cert, privateKey: withSan.key, hostname: HOST }).field).toBe('hostname')
  })

  it('accepts a chain in order (leaf, intermediate) and refuses one out of order or unrelated', () => {
    const intermediate = pki.ca.issue({ names: ['MailPanel Test Intermediate'], ca: true })
    const leaf = intermediate.ca!.issue({ names: [HOST] })
    const chain = `${leaf.cert}${intermediate.cert}`
    const { certPem, meta } = pem.checkPair({ certificate: chain, privateKey: leaf.key, hostname: HOST })
    expect(certPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
    expect(meta.issuer).toBe('CN=MailPanel Test Intermediate')
    expect(() => pem.checkPair({ certificate: `${chain}${pki.ca.cert}`, privateKey: leaf.key })).not.toThrow()

    expect(failure({ certificate: `${intermediate.cert}${leaf.cert}`, privateKey: leaf.key }).message).toMatch(/certificate 2 did not issue certificate 1/)
    expect(failure({ certificate: `${leaf.cert}${good.cert}`, privateKey: leaf.key }).message).toMatch(/certificate 2 did not issue certificate 1/)
  })

  it('refuses text that is not PEM, broken base64, keys in the wrong field and encrypted keys', () => {
    expect(failure({ certificate: 'hello', privateKey: good.key }).message).toMatch(/^certificate: no PEM certificate/)
    const broken = good.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA')
    expect(failure({ certificate: broken, privateKey: good.key }).message).toBe('certificate: certificate 1 is not a valid X.509 certificate')
    expect(failure({ certificate: good.key, privateKey: good.key }).message).toMatch(/^certificate: contains a private key/)
    expect(failure({ certificate: `${good.cert}-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n`, privateKey: good.key }).message).toMatch(/only contain CERTIFICATE blocks/)
    expect(failure({ certificate: good.cert, privateKey: good.cert }).field).toBe('private_key')
    expect(failure({ certificate: good.cert, privateKey: `${good.key}${good.key}` }).message).toMatch(/exactly one PEM private key/)
    expect(failure({ certificate: good.cert, privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }).message).toBe('private_key: is not a valid PEM private key')
    const encrypted = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${'A'.repeat(64)}\n-----END ENCRYPTED PRIVATE KEY-----\n`
    expect(failure({ certificate: good.cert, privateKey: encrypted }).message).toMatch(/^private_key: is encrypted/)
  })
})
