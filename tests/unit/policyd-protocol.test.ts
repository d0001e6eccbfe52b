import { describe, expect, it } from 'vitest'
import { formatReply, MAX_ATTRIBUTES, MAX_LINE_BYTES, PolicyParser } from '#server/policyd/protocol'

const enc = (text: string) => Buffer.from(text, 'utf8')
const REQUEST = 'request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=alice@example.com\nsender=\n\n'

describe('PolicyParser', () => {
  it('parses one request, keeping empty values and everything after the first "="', () => {
    const parser = new PolicyParser()
    const { requests, error } = parser.push(enc('request=smtpd_access_policy\nsender=\nccert_subject=CN=a=b\n\n'))
    expect(error).toBeUndefined()
    expect(requests).toEqual([{ request: 'smtpd_access_policy', sender: '', ccert_subject: 'CN=a=b' }])
    expect(parser.midRequest).toBe(false)
  })

  it('parses many pipelined requests from one chunk, in order', () => {
    const text = Array.from({ length: 50 }, (_, i) => `request=smtpd_access_policy\ninstance=${i}\n\n`).join('')
    const { requests } = new PolicyParser().push(enc(text))
    expect(requests.map(r => r.instance)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)))
  })

  it('reassembles a request split at every byte, including inside a multi-byte character', () => {
    const parser = new PolicyParser()
    const bytes = enc('request=smtpd_access_policy\nsasl_username=jürgen@example.com\n\n')
    const got = []
    for (let i = 0; i < bytes.length; i++) {
      const { requests } = parser.push(bytes.subarray(i, i + 1))
      got.push(...requests)
      if (i < bytes.length - 1) expect(requests).toEqual([])
    }
    expect(got).toEqual([{ request: 'smtpd_access_policy', sasl_username: 'jürgen@example.com' }])
  })

  it('is mid-request exactly while part of a request has arrived', () => {
    const parser = new PolicyParser()
    parser.push(enc('request=smtpd'))
    expect(parser.midRequest).toBe(true)
    parser.push(enc('_access_policy\n'))
    expect(parser.midRequest).toBe(true)
    parser.push(enc('\n'))
    expect(parser.midRequest).toBe(false)
  })

  it('accepts CRLF line ends and ignores stray empty lines between requests', () => {
    const { requests, error } = new PolicyParser().push(enc('\r\n\nrequest=smtpd_access_policy\r\nprotocol_state=RCPT\r\n\r\n\n'))
    expect(error).toBeUndefined()
    expect(requests).toEqual([{ request: 'smtpd_access_policy', protocol_state: 'RCPT' }])
  })

  it('refuses a line without "=" or with an empty name, after answering the requests before it', () => {
    for (const bad of ['garbage\n', '=value\n', '\u0000\u0001\u0002\n']) {
      const parser = new PolicyParser()
      const { requests, error } = parser.push(enc(REQUEST + bad + REQUEST))
      expect(error).toBe('malformed_line')
      expect(requests).toHaveLength(1)
      // Once broken, the connection's input is never parsed again.
      expect(parser.push(enc(REQUEST))).toEqual({ requests: [], error: 'malformed_line' })
    }
  })

  it('bounds a line: exactly MAX_LINE_BYTES is fine, one more is refused, with or without its newline yet', () => {
    const name = 'x='
    const ok = new PolicyParser().push(enc(`${name}${'a'.repeat(MAX_LINE_BYTES - name.length)}\n\n`))
    expect(ok.error).toBeUndefined()
    expect(ok.requests).toHaveLength(1)
    expect(new PolicyParser().push(enc(`${name}${'a'.repeat(MAX_LINE_BYTES)}\n`)).error).toBe('line_too_long')
    // A line that never ends is refused as soon as it is too long, not buffered forever.
    const parser = new PolicyParser()
    let error
    for (let i = 0; i < 100 && !error; i++) error = parser.push(enc('a'.repeat(100))).error
    expect(error).toBe('line_too_long')
  })

  it('bounds the attributes of one request', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `a${i}=v\n`).join('')
    expect(new PolicyParser().push(enc(`${lines(MAX_ATTRIBUTES)}\n`)).requests).toHaveLength(1)
    expect(new PolicyParser().push(enc(`${lines(MAX_ATTRIBUTES + 1)}\n`)).error).toBe('too_many_attributes')
  })

  it('does not let attribute names reach the object prototype', () => {
    const { requests } = new PolicyParser().push(enc('__proto__=x\nconstructor=y\n\n'))
    expect(Object.getPrototypeOf(requests[0])).toBeNull()
    expect(requests[0]!.__proto__).toBe('x')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('formatReply', () => {
  it('writes action= and the empty line, and never lets a newline end the reply early', () => {
    expect(formatReply('DUNNO')).toBe('action=DUNNO\n\n')
    expect(formatReply('450 4.7.1 a\r\nb\nc')).toBe('action=450 4.7.1 a b c\n\n')
  })
})
