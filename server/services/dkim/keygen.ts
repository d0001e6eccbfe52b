import { generateKeyPair, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { DkimAlgorithm } from '#shared/types/dkim'

const generate = promisify(generateKeyPair)

export interface GeneratedKey {
  /** PKCS#8 PEM, what OpenDKIM 2.11 reads for both RSA and Ed25519. */
  privateKey: string
  /** The record's p= value (base64). */
  publicKey: string
}

// An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header followed by the 32-byte key; RFC 8463's
// p= is the bare key.
const ED25519_SPKI_HEADER_BYTES = 12

function publicKeyValue(algorithm: DkimAlgorithm, key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' })
  return (algorithm === 'ed25519' ? spki.subarray(ED25519_SPKI_HEADER_BYTES) : spki).toString('base64')
}

/**
 * A new key pair, made on libuv's thread pool (generateKeyPair, not the Sync variant): a 4096-bit
 * RSA key takes seconds, and the panel keeps answering meanwhile.
 */
export async function generateDkimKey(algorithm: DkimAlgorithm, bits: number): Promise<GeneratedKey> {
  const { privateKey, publicKey } = algorithm === 'ed25519'
    ? await generate('ed25519')
    : await generate('rsa', { modulusLength: bits, publicExponent: 0x10001 })
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKeyValue(algorithm, publicKey),
  }
}
