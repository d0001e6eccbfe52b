import { connect, type Socket } from 'node:net'

/** The attributes Postfix 3.7 sends at RCPT time on the submission port (values as Postfix writes them). */
export function policyRequest(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const base: Record<string, string | undefined> = {
    request: 'smtpd_access_policy',
    protocol_state: 'RCPT',
    protocol_name: 'ESMTP',
    client_address: '192.0.2.10',
    client_name: 'client.example.net',
    client_port: '50412',
    reverse_client_name: 'client.example.net',
    server_address: '127.0.0.1',
    server_port: '587',
    helo_name: 'laptop',
    sender: '',
    recipient: 'someone@elsewhere.example',
    recipient_count: '0',
    queue_id: '',
    instance: '1a2b.6565c0de.1',
    size: '0',
    etrn_domain: '',
    stress: '',
    sasl_method: 'PLAIN',
    sasl_username: '',
    sasl_sender: '',
    ccert_subject: '',
    ccert_issuer: '',
    ccert_fingerprint: '',
    ccert_pubkey_fingerprint: '',
    encryption_protocol: 'TLSv1.3',
    encryption_cipher: 'TLS_AES_256_GCM_SHA384',
    encryption_keysize: '256',
    policy_context: '',
    compatibility_level: '3.6',
    mail_version: '3.7.11',
    ...overrides,
  }
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>
}

export const encodeRequest = (attrs: Record<string, string>): string =>
  `${Object.entries(attrs).map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`

/** A persistent policy-protocol connection, as one Postfix smtpd process keeps: requests in, `action=` replies out, in order. */
export class PolicyClient {
  private buffer = ''
  private waiting: { resolve: (action: string) => void, reject: (err: Error) => void }[] = []
  private ended: Promise<void>
  closed = false

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n')) {
        const reply = this.buffer.slice(0, end)
        this.buffer = this.buffer.slice(end + 2)
        const action = reply.startsWith('action=') ? reply.slice('action='.length) : `(bad reply) ${reply}`
        this.waiting.shift()?.resolve(action)
      }
    })
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true
        for (const w of this.waiting.splice(0)) w.reject(new Error('connection closed before the reply'))
        resolve()
      })
    })
    socket.on('error', () => {})
  }

  static open(port: number, host = '127.0.0.1'): Promise<PolicyClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject)
        resolve(new PolicyClient(socket))
      })
      socket.once('error', reject)
    })
  }

  /** Sends one request and resolves with the text after `action=`. */
  ask(attrs: Record<string, string>): Promise<string> {
    return this.askRaw(encodeRequest(attrs), 1).then(actions => actions[0]!)
  }

  /** Writes `text` as-is (one write) and waits for `replies` replies. */
  askRaw(text: string, replies: number): Promise<string[]> {
    const promises = Array.from({ length: replies }, () => new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject })))
    this.socket.write(text)
    return Promise.all(promises)
  }

  /** Resolves when the server has closed the connection. */
  whenClosed(): Promise<void> {
    return this.ended
  }

  close(): Promise<void> {
    this.socket.end()
    return this.ended
  }
}
