// DKIM keys as GET /api/v1/dkim/list and POST /api/v1/dkim/generate return them (never the private key).

export type DkimAlgorithm = 'rsa' | 'ed25519'

/**
 * active: signs the domain's mail (one per domain and algorithm). published: not signing, but its
 * record must stay in DNS (a new key before rotation, the previous one after). retired: neither.
 * unmanaged: a key file found under etc/opendkim/keys/<domain>/<selector>.txt that the panel did not
 * make (an install from before); listed so its record can be copied, never signed with or deleted.
 */
export type DkimKeyStatus = 'active' | 'published' | 'retired' | 'unmanaged'

/** The TXT record to publish: `name` is `<selector>._domainkey.<domain>`; `strings` are ≤255 bytes each. */
export interface DkimDnsRecord {
  name: string
  type: 'TXT'
  /** The whole value, unsplit (`v=DKIM1; k=rsa; p=MII…`). */
  value: string
  /** The value cut into character-strings of at most 255 bytes, as a zone file or DNS API wants them. */
  strings: string[]
  /** A zone-file line: `name. IN TXT ( "…" "…" )`. */
  zone_line: string
}

export interface DkimKey {
  /** null for an unmanaged key file. */
  id: number | null
  domain_id: number | null
  domain: string
  selector: string
  algorithm: DkimAlgorithm
  /** RSA modulus length; 256 for Ed25519. */
  bits: number
  status: DkimKeyStatus
  /** ISO 8601, UTC. For an unmanaged key, the .txt file's modification time. */
  created_at: string
  activated_at: string | null
  retired_at: string | null
  dns: DkimDnsRecord
}
