import type { DkimAlgorithm, DkimDnsRecord } from '#shared/types/dkim'

/** RFC 1035: a TXT record is a list of character-strings of at most 255 bytes each. */
export const TXT_STRING_BYTES = 255

/** The record's value is ASCII (tags and base64), so a byte is a character here. */
export function splitTxt(value: string, size = TXT_STRING_BYTES): string[] {
  const out: string[] = []
  for (let at = 0; at < value.length; at += size) out.push(value.slice(at, at + size))
  return out.length ? out : ['']
}

/** `mail._domainkey.example.com`: where a verifier looks up the key of `s=mail; d=example.com`. */
export const recordName = (selector: string, domain: string) => `${selector}._domainkey.${domain}`

/** The published TXT record of a key whose p= value is `publicKey` (base64). */
export function dkimRecord(domain: string, selector: string, algorithm: DkimAlgorithm, publicKey: string): DkimDnsRecord {
  return txtRecord(recordName(selector, domain), `v=DKIM1; k=${algorithm}; p=${publicKey}`)
}

/** A TXT record as a zone file or a DNS provider's form wants it. */
export function txtRecord(name: string, value: string): DkimDnsRecord {
  const strings = splitTxt(value)
  return {
    name,
    type: 'TXT',
    value,
    strings,
    zone_line: `${name}. IN TXT ( ${strings.map(s => `"${s}"`).join(' ')} )`,
  }
}
