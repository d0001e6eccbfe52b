import { lookup as dnsLookup } from 'node:dns/promises'
import * as http from 'node:http'
import * as https from 'node:https'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { consola } from 'consola'
import { classifyAddress, isLocalhostName, NEVER_A_RECEIVER, type AddressInfo } from '#server/utils/address-class'
import { apiErrors } from '#server/utils/errors'

/**
 * Where the panel may send a webhook (SSRF guard). A receiver URL names a host on the public
 * internet, unless the admin allowed a private range (security setting `webhook_allowed_ranges`).
 * Checked twice: at registration (an early, clear 400), and again at every delivery, after a fresh
 * resolution, because DNS answers change (rebinding), settings change, and rows arrive by restore.
 * The delivery then connects only to the addresses it checked: the request's `lookup` hands back
 * those addresses instead of resolving the name a second time, and each socket's peer is compared
 * with them once connected. No redirect is followed, and a new connection is opened per delivery
 * (a pooled socket could outlive the policy it was checked against).
 *
 * What goes back to the API and into `last_error` is one of a few fixed texts, so neither tells
 * which internal hosts or ports answer; the specifics go to the server log only.
 *
 * Bounds: name resolution RESOLVE_TIMEOUT_MS; a delivery's whole request (connect, TLS, headers)
 * the caller's timeout.
 */

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Every A and AAAA answer for a name, as a connection would see them (the I/O port, injected by tests). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>

/** The admin's allowance for private ranges (an IpList of `webhook_allowed_ranges`). */
export interface AllowedRanges {
  includes: (ip: string) => boolean
}

const RESOLVE_TIMEOUT_MS = 5_000

/** The detail of the 400 at registration: the same whatever the reason, so it probes nothing. */
export const RECEIVER_REFUSED_DETAIL = 'url: the receiver must be a public address; this host is not one or does not resolve to public addresses only. To deliver inside your own network, add its range to webhook_allowed_ranges in the security settings.'

/** The texts a delivery records in `last_error`. */
export const DELIVERY_ERRORS = {
  policy: 'receiver refused by address policy',
  // Refused, reset, unreachable, no DNS answer, a TLS failure, a timeout: all one text, so that a
  // closed port (refused at once) cannot be told from a filtered one (silence until the timeout).
  failed: 'delivery failed: no HTTP answer from the receiver (details in the server log)',
  status: (status: number) => `receiver answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
} as const

export const systemResolver: Resolver = async (hostname) => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer for ${hostname} within ${RESOLVE_TIMEOUT_MS / 1000} s`)), RESOLVE_TIMEOUT_MS)
  })
  try {
    const answers = await Promise.race([dnsLookup(hostname, { all: true, verbatim: true }), timeout])
    return answers.map(a => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))
  }
  finally {
    clearTimeout(timer)
  }
}

/** A receiver that passed the check: the URL and the addresses the connection may use. */
export interface CheckedReceiver {
  url: URL
  addresses: ResolvedAddress[]
}

/** A refusal: `unresolved` when the name had no usable answer (at delivery a failure, not a policy matter). */
export type ReceiverCheck = { ok: true, receiver: CheckedReceiver } | { ok: false, reason: string, unresolved?: boolean }

/** May the panel connect to this address? Public, or inside an allowed range, and never a non-unicast one. */
function permitted(info: AddressInfo, allowed: AllowedRanges): boolean {
  if (NEVER_A_RECEIVER.has(info.kind)) return false
  if (info.kind === 'public') return true
  return allowed.includes(info.address) || (info.embeddedIpv4 !== undefined && allowed.includes(info.embeddedIpv4))
}

const describeAddress = (info: AddressInfo) => `${info.address} (${info.kind}${info.embeddedIpv4 ? ` via ${info.embeddedIpv4}` : ''})`

/** The peer addresses a pinned connection may end up at (BlockList matches IPv4-mapped forms too). */
function peerList(addresses: ResolvedAddress[]): BlockList {
  const list = new BlockList()
  for (const a of addresses) list.addAddress(a.address, a.family === 6 ? 'ipv6' : 'ipv4')
  return list
}

/** A `lookup` for http(s).request that answers only with the checked addresses: no second resolution. */
function pinnedLookup(hostname: string, addresses: ResolvedAddress[]): LookupFunction {
  return (name, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family
    const usable = name === hostname ? addresses.filter(a => !family || a.family === family) : []
    if (!usable.length) {
      callback(Object.assign(new Error(`no checked address of ${name} for this connection`), { code: 'ENOTFOUND' }), '', 4)
      return
    }
    if (options.all) callback(null, usable)
    else callback(null, usable[0]!.address, usable[0]!.family)
  }
}

export interface DeliveryRequest {
  headers: Record<string, string>
  body: Buffer
  timeoutMs: number
}

/** `error` is stored and shown (one of DELIVERY_ERRORS); `log` is the server-side account of a failure. */
export type DeliveryOutcome = { ok: true } | { ok: false, error: string, log: string }

export const receiverGuard = {
  /**
   * Parses and checks a receiver URL: http(s), no credentials, and a host whose every address is
   * public or allowed. A name is resolved with `resolve`; one bad answer among good ones refuses it.
   */
  async check(rawUrl: string, allowed: AllowedRanges, resolve: Resolver = systemResolver): Promise<ReceiverCheck> {
    let url: URL
    try {
      url = new URL(rawUrl)
    }
    catch {
      return { ok: false, reason: 'not a URL' }
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol}` }
    if (url.username || url.password) return { ok: false, reason: 'credentials in the URL' }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    if (!host) return { ok: false, reason: 'no host' }
    if (isIP(host)) {
      const info = classifyAddress(host)
      return permitted(info, allowed) ? { ok: true, receiver: { url, addresses: [{ address: info.address, family: info.family }] } } : { ok: false, reason: describeAddress(info) }
    }
    if (isLocalhostName(host)) return { ok: false, reason: `${host} names this machine` }
    let answers: ResolvedAddress[]
    try {
      answers = await resolve(host)
    }
    catch (err) {
      return { ok: false, reason: `${host} does not resolve: ${(err as { code?: string }).code ?? (err as Error).message}`, unresolved: true }
    }
    if (!answers.length) return { ok: false, reason: `${host} has no addresses`, unresolved: true }
    const addresses: ResolvedAddress[] = []
    for (const answer of answers) {
      const info = classifyAddress(answer.address)
      if (!permitted(info, allowed)) return { ok: false, reason: `${host} resolves to ${describeAddress(info)}` }
      addresses.push({ address: info.address, family: info.family })
    }
    return { ok: true, receiver: { url, addresses } }
  },

  /** At registration: a 400 with the generic detail unless the receiver passes `check` (the reason goes to the log). */
  async assertRegistrable(rawUrl: string, allowed: AllowedRanges, resolve: Resolver = systemResolver): Promise<void> {
    const result = await receiverGuard.check(rawUrl, allowed, resolve)
    if (result.ok) return
    consola.info(`Webhook receiver refused at registration: ${result.reason}`)
    throw apiErrors.validation(RECEIVER_REFUSED_DETAIL)
  },

  /**
   * POSTs to a checked receiver, connecting only to its checked addresses. Resolves on the response
   * head (the body is not read); never throws.
   */
  post(receiver: CheckedReceiver, request: DeliveryRequest): Promise<DeliveryOutcome> {
    const { url, addresses } = receiver
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const peers = peerList(addresses)
    const client = url.protocol === 'https:' ? https : http
    return new Promise<DeliveryOutcome>((resolve) => {
      let settled = false
      const finish = (outcome: DeliveryOutcome) => {
        if (settled) return
        settled = true
        req.destroy()
        resolve(outcome)
      }
      const fail = (log: string) => finish({ ok: false, error: DELIVERY_ERRORS.failed, log })
      const req = client.request(url, {
        method: 'POST',
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
        lookup: pinnedLookup(hostname, addresses),
        agent: false,
        signal: AbortSignal.timeout(request.timeoutMs),
      })
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          const peer = socket.remoteAddress ?? ''
          const family = isIP(peer) === 6 ? 'ipv6' : 'ipv4'
          if (!peers.check(peer, family)) fail(`connected to ${peer}, which was not checked`)
        })
      })
      req.on('response', (res) => {
        res.resume()
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) finish({ ok: true })
        else finish({ ok: false, error: DELIVERY_ERRORS.status(status), log: `HTTP ${status}` })
      })
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.name === 'AbortError' || err.name === 'TimeoutError' ? `no response within ${request.timeoutMs / 1000} s` : (err.code ?? err.name)
        fail(`${code}: ${err.message}`)
      })
      req.end(request.body)
    })
  },

  /** One delivery attempt: check again (fresh resolution), then post to what was checked. */
  async deliver(rawUrl: string, request: DeliveryRequest, allowed: AllowedRanges, resolve: Resolver = systemResolver): Promise<DeliveryOutcome> {
    const result = await receiverGuard.check(rawUrl, allowed, resolve)
    if (!result.ok && result.unresolved) return { ok: false, error: DELIVERY_ERRORS.failed, log: result.reason }
    if (!result.ok) return { ok: false, error: DELIVERY_ERRORS.policy, log: `refused by address policy: ${result.reason}` }
    return receiverGuard.post(result.receiver, request)
  },
}
