import { StringDecoder } from 'node:string_decoder'

/**
 * The Postfix policy delegation protocol (SMTPD_POLICY_README): a request is `name=value` lines
 * ended by an empty line, the reply is `action=…` followed by an empty line, and one connection
 * carries any number of requests. The parser is incremental (requests may arrive split across
 * reads, or many in one read) and bounded, so a hostile client can make it hold at most one
 * request of MAX_ATTRIBUTES lines of MAX_LINE_BYTES each.
 */

// Postfix 3.7 sends about 30 attributes, none longer than an address or a certificate subject.
export const MAX_LINE_BYTES = 2048
export const MAX_ATTRIBUTES = 100

export type PolicyAttributes = Record<string, string>

export type ProtocolError = 'line_too_long' | 'too_many_attributes' | 'malformed_line'

export interface ParseResult {
  requests: PolicyAttributes[]
  /** Set when the input broke the protocol; the connection should be closed (requests before it are still valid). */
  error?: ProtocolError
}

export class PolicyParser {
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''
  private attributes: PolicyAttributes = Object.create(null) as PolicyAttributes
  private count = 0
  private failed: ProtocolError | undefined

  /** True while part of a request has arrived but not its end (what a slow client keeps open). */
  get midRequest(): boolean {
    return this.count > 0 || this.pending.length > 0
  }

  push(chunk: Buffer): ParseResult {
    const requests: PolicyAttributes[] = []
    if (this.failed) return { requests, error: this.failed }
    const text = this.pending + this.decoder.write(chunk)
    let start = 0
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      // Measured in UTF-16 units, which never undercounts bytes by more than 3×; good enough for a bound.
      if (end - start > MAX_LINE_BYTES) return this.fail('line_too_long', requests)
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
      start = end + 1
      if (line === '') {
        // An empty line outside a request is tolerated (a stray newline), as Postfix's own servers do.
        if (this.count > 0) requests.push(this.attributes)
        this.attributes = Object.create(null) as PolicyAttributes
        this.count = 0
        continue
      }
      const eq = line.indexOf('=')
      if (eq <= 0) return this.fail('malformed_line', requests)
      if (++this.count > MAX_ATTRIBUTES) return this.fail('too_many_attributes', requests)
      this.attributes[line.slice(0, eq)] = line.slice(eq + 1)
    }
    this.pending = text.slice(start)
    if (this.pending.length > MAX_LINE_BYTES) return this.fail('line_too_long', requests)
    return { requests }
  }

  private fail(error: ProtocolError, requests: PolicyAttributes[]): ParseResult {
    this.failed = error
    this.pending = ''
    return { requests, error }
  }
}

/** `action=<text>` and the empty line. The text never contains a newline (it would end the reply early). */
export function formatReply(action: string): string {
  return `action=${action.replace(/[\r\n]+/g, ' ')}\n\n`
}
