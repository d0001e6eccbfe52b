import { consola } from 'consola'
import { certificatesDb } from '#server/db/queries/certificates'
import { scrubSecrets } from '#server/utils/errors'
import { day0 } from './day0'
import { readStoredPair } from './stored'

export interface ActiveCertificate {
  id: number
  certPem: string
  keyPem: string
}

/**
 * The certificate Postfix, Dovecot and the panel should serve: the newest valid one whose files
 * exist and still parse and match — CA-issued (upload, certbot) before self-signed, then highest
 * not_before, then highest id. The reconciler copies it to tls/{cert,key}.pem.
 *
 * A certbot lineage renewed on disk by certbot's own timer has a new certificate under the same
 * path: it is used, and its row is brought up to date. Any other file whose certificate is not
 * the one recorded was replaced behind the panel's back and is skipped.
 */
export async function activeCertificate(): Promise<ActiveCertificate | undefined> {
  await day0.settled()
  for (const row of await certificatesDb.currentlyValid()) {
    const pair = readStoredPair(row.cert_path, row.key_path)
    if (!pair) continue
    if (pair.meta.fingerprint_sha256 !== row.fingerprint_sha256) {
      if (row.source !== 'certbot') continue
      await certificatesDb.refresh(row.id, { ...pair.meta, hostname: row.hostname, source: row.source })
        .catch((err: Error) => consola.warn(`TLS: could not record certbot's renewal of certificate ${row.id}: ${scrubSecrets(err.message)}`))
    }
    return { id: row.id, certPem: pair.certPem, keyPem: pair.keyPem }
  }
  return undefined
}
