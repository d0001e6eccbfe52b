import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { WILDCARD_RE } from '#shared/schemas/certificates'
import type { CertificateMeta } from '#shared/types/certificates'

// Postfix and Dovecot on current distributions refuse RSA keys below 2048 bits at security level 2.
const MIN_RSA_BITS = 2048
const MAX_CHAIN = 10
const KEY_TYPES = new Set(['rsa', 'rsa-pss', 'ec'])
const KEY_BLOCKS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'])
const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

export type PemField = 'certificate' | 'private_key' | 'hostname'

/** What is wrong with an upload, and in which field; the API turns it into a 400. */
export class PemError extends Error {
  constructor(readonly field: PemField, message: string) {
    super(`${field}: ${message}`)
  }
}

export interface CheckedPair {
  meta: CertificateMeta
  /** The leaf, then the intermediates, re-encoded (text around the blocks dropped). */
  certPem: string
  /** PKCS#8, unencrypted. */
  keyPem: string
}

function blocks(text: string): { type: string, pem: string }[] {
  return [...text.matchAll(BLOCK_RE)].map(m => ({ type: m[1]!, pem: m[0] }))
}

function parseChain(text: string): X509Certificate[] {
  const found = blocks(text)
  if (!found.length) throw new PemError('certificate', 'no PEM certificate (-----BEGIN CERTIFICATE-----) found')
  if (found.some(b => b.type.includes('PRIVATE KEY'))) throw new PemError('certificate', 'contains a private key; send it as private_key')
  if (found.some(b => b.type !== 'CERTIFICATE')) throw new PemError('certificate', 'may only contain CERTIFICATE blocks (the leaf, then intermediates)')
  if (found.length > MAX_CHAIN) throw new PemError('certificate', `at most ${MAX_CHAIN} certificates in a chain`)
  const chain = found.map((b, i) => {
    try {
      return new X509Certificate(b.pem)
    }
    catch {
      throw new PemError('certificate', `certificate ${i + 1} is not a valid X.509 certificate`)
    }
  })
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) {
      throw new PemError('certificate', `certificate ${i + 2} did not issue certificate ${i + 1}; send the leaf first, then its intermediates in order`)
    }
  }
  return chain
}

function parseKey(text: string): KeyObject {
  const found = blocks(text).filter(b => b.type !== 'EC PARAMETERS')
  if (found.some(b => b.type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(b.pem))) {
    throw new PemError('private_key', 'is encrypted; send it unencrypted (openssl pkey -in key.pem -out plain.pem)')
  }
  if (found.length !== 1 || !KEY_BLOCKS.has(found[0]!.type)) throw new PemError('private_key', 'must be exactly one PEM private key (-----BEGIN PRIVATE KEY-----)')
  let key: KeyObject
  try {
    key = createPrivateKey(found[0]!.pem)
  }
  catch {
    throw new PemError('private_key', 'is not a valid PEM private key')
  }
  if (!KEY_TYPES.has(key.asymmetricKeyType ?? '')) throw new PemError('private_key', 'must be an RSA or ECDSA key (what Postfix and Dovecot serve)')
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new PemError('private_key', `RSA keys must have at least ${MIN_RSA_BITS} bits`)
  return key
}

/** DNS names from Node's `subjectAltName` text ("DNS:a, DNS:b, IP Address:…"). */
function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(/,\s*/).filter(e => e.startsWith('DNS:')).map(e => e.slice(4).toLowerCase())
}

function covers(cert: X509Certificate, name: string): boolean {
  // A wildcard upload target must be on the certificate as such; a hostname goes through
  // OpenSSL's own matching (SANs first, CN only without DNS SANs, whole-label wildcards).
  if (WILDCARD_RE.test(name)) return dnsNames(cert).includes(name)
  return cert.checkHost(name, { partialWildcards: false }) !== undefined
}

function describe(cert: X509Certificate): CertificateMeta {
  return {
    fingerprint_sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    subject: cert.subject.split('\n').join(', '),
    san: dnsNames(cert),
    issuer: cert.issuer.split('\n').join(', '),
    not_before: new Date(cert.validFrom),
    not_after: new Date(cert.validTo),
  }
}

/**
 * Parses and checks a certificate (chain) and its key, without touching the disk: valid PEM,
 * an intact chain, the key belongs to the leaf, the leaf is valid at `now`, and — when a hostname
 * is given — the leaf covers it. Throws a PemError naming the field.
 */
function checkPair(input: { certificate: string, privateKey: string, hostname?: string, now?: Date }): CheckedPair {
  const chain = parseChain(input.certificate)
  const key = parseKey(input.privateKey)
  const leaf = chain[0]!
  if (!leaf.checkPrivateKey(key)) throw new PemError('private_key', 'does not belong to the certificate (its public key differs)')
  const meta = describe(leaf)
  const now = input.now ?? new Date()
  if (now < meta.not_before) throw new PemError('certificate', `is not valid yet (valid from ${meta.not_before.toISOString()})`)
  if (now >= meta.not_after) throw new PemError('certificate', `has expired (valid until ${meta.not_after.toISOString()})`)
  if (input.hostname !== undefined && !covers(leaf, input.hostname)) {
    const names = meta.san.length ? meta.san.join(', ') : meta.subject
    throw new PemError('hostname', `the certificate does not cover ${input.hostname} (it is for ${names})`)
  }
  return {
    meta,
    certPem: chain.map(c => c.toString()).join(''),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

export const pem = { checkPair, describe }
