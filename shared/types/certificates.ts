export type CertificateSource = 'self-signed' | 'upload' | 'certbot'

/** What the panel reads out of a certificate (server/services/tls/pem.ts). */
export interface CertificateMeta {
  fingerprint_sha256: string
  subject: string
  san: string[]
  issuer: string
  not_before: Date
  not_after: Date
}

/** Where a certificate's files are (never their contents; the key never leaves the server). */
export interface CertificateFiles {
  cert_path: string
  key_path: string
}

/** A stored certificate. */
export interface CertificateRecord extends CertificateMeta, CertificateFiles {
  id: number
  hostname: string
  source: CertificateSource
  created_at: Date
}

/** GET /api/v1/certificates: `active` is the one Postfix, Dovecot and the panel serve. */
export interface Certificate extends CertificateRecord {
  active: boolean
  /** Whole days left, negative once expired. */
  expires_in_days: number
}
