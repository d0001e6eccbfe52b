// A Postfix-like client of a policy daemon, shared by the benchmarks: the request smtpd sends, and
// a load of them over persistent connections with one request in flight per connection.

import { connect } from 'node:net'

/** What Postfix 3.7 sends at END-OF-MESSAGE on the submission port (31 attributes). */
export function policyRequest(user, i, state = 'END-OF-MESSAGE') {
  return `request=smtpd_access_policy\nprotocol_state=${state}\nprotocol_name=ESMTP\nclient_address=192.0.2.${(i % 250) + 1}\n`
    + `client_name=host${i % 250}.example.net\nclient_port=${40000 + (i % 20000)}\nreverse_client_name=host${i % 250}.example.net\n`
    + `server_address=127.0.0.1\nserver_port=587\nhelo_name=laptop\nsender=${user}\nrecipient=r${i}@dest.example.org\n`
    + `recipient_count=${state === 'RCPT' ? 0 : 1}\nqueue_id=${state === 'RCPT' ? '' : `4F${i.toString(16).toUpperCase()}`}\ninstance=${i.toString(16)}.6565c0de.0\n`
    + `size=${state === 'RCPT' ? 0 : 4096}\netrn_domain=\nstress=\nsasl_method=PLAIN\nsasl_username=${user}\nsasl_sender=\n`
    + `ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\nencryption_protocol=TLSv1.3\n`
    + `encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\npolicy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n`
}

/** `count` requests (`make(i)`) over `connections` sockets, one outstanding per socket; latency per request. */
export async function policyLoad(port, count, connections, make) {
  let issued = 0
  const latencies = new Float64Array(count)
  const actions = new Map()
  const one = () => new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.setNoDelay(true)
    socket.setEncoding('utf8')
    let buffer = ''
    let current = -1
    let started = 0
    const next = () => {
      if (issued >= count) {
        socket.end()
        return resolve()
      }
      current = issued++
      started = performance.now()
      socket.write(make(current))
    }
    socket.on('connect', next)
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      buffer += chunk
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        latencies[current] = performance.now() - started
        const action = /^action=(\S+)/.exec(buffer.slice(0, end))?.[1] ?? '?'
        actions.set(action, (actions.get(action) ?? 0) + 1)
        buffer = buffer.slice(end + 2)
        next()
      }
    })
  })
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, one))
  const seconds = (performance.now() - started) / 1000
  const sorted = Array.from(latencies).sort((a, b) => a - b)
  const pct = p => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 1000) / 1000
  return { rps: Math.round(count / seconds), seconds: Math.round(seconds * 100) / 100, p50: pct(0.5), p99: pct(0.99), actions: Object.fromEntries(actions) }
}
