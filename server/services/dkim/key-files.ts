import { createPublicKey } from 'node:crypto'
import type { DkimAlgorithm } from '#shared/types/dkim'
import { recordName, txtRecord } from './record'

/**
 * The first line of every `<selector>.txt` the reconciler writes: how it tells its own files (which
 * it removes with their key) from an older install's opendkim-genkey output (which it never touches).
 */
export const PANEL_MARKER = '; Written by BackendSide MailPanel: removed with its key; do not edit.'

export const isPanelFile = (content: string) => content.startsWith(PANEL_MARKER)

/** The `<selector>.txt` the reconciler writes next to a key: the zone-file line, as opendkim-genkey would. */
export function panelTxtFile(zoneLine: string): string {
  return `${PANEL_MARKER}\n${zoneLine}\n`
}

export interface ParsedTxt {
  value: string
  algorithm: DkimAlgorithm
  publicKey: string
  bits: number
}

/** Tag-value list (RFC 6376 §3.2): `v=DKIM1; k=rsa; p=…` → { v, k, p }, blanks inside values dropped. */
function tags(value: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of value.split(';')) {
    const at = part.indexOf('=')
    if (at > 0) out.set(part.slice(0, at).trim(), part.slice(at + 1).replace(/\s+/g, ''))
  }
  return out
}

/**
 * opendkim-genkey's `<selector>.txt`: `sel._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=MII…" )`
 * plus a comment. The record is the quoted strings joined; undefined when it is not a DKIM key record.
 */
export function parseKeyTxt(content: string): ParsedTxt | undefined {
  const code = content.split('\n').filter(l => !l.trimStart().startsWith(';')).join('\n')
  const strings = [...code.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(m => m[1]!)
  if (!strings.length) return undefined
  const value = strings.join('')
  const t = tags(value)
  const algorithm = (t.get('k') ?? 'rsa') as DkimAlgorithm
  const publicKey = t.get('p')
  if (!publicKey || !/^[A-Za-z0-9+/]+=*$/.test(publicKey) || (algorithm !== 'rsa' && algorithm !== 'ed25519')) return undefined
  let bits = 256
  if (algorithm === 'rsa') {
    try {
      bits = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength ?? 0
    }
    catch {
      return undefined
    }
  }
  return { value, algorithm, publicKey, bits }
}

/** The record of a legacy key file, under the name a verifier looks up. */
export const legacyRecord = (domain: string, selector: string, parsed: ParsedTxt) => txtRecord(recordName(selector, domain), parsed.value)
