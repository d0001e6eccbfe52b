import { readFileSync } from 'node:fs'
import { pem, type CheckedPair } from './pem'

/** A pair on disk that still parses, matches and is valid now; undefined if anything is off (missing, unreadable, replaced, expired). */
export function readStoredPair(certPath: string, keyPath: string, hostname?: string): CheckedPair | undefined {
  try {
    return pem.checkPair({ certificate: readFileSync(certPath, 'utf8'), privateKey: readFileSync(keyPath, 'utf8'), hostname })
  }
  catch {
    return undefined
  }
}
