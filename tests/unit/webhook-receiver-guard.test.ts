import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { DELIVERY_ERRORS, RECEIVER_REFUSED_DETAIL, receiverGuard, type ResolvedAddress, type Resolver } from '#server/services/webhooks/receiver-guard'
import { IpList } from '#server/utils/ip'

const NONE = new IpList([])
const LOOPBACK = new IpList(['127.0.0.0/8'])
const PUBLIC_IP = '93.184.215.14'

interface Seen {
  headers: IncomingHttpHeaders
  body: string
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  })))
})

/** A receiver on `host`; records what arrives and answers `status`. */
async function listen(host: string, port = 0, status = 204): Promise<{ port: number, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c))
    req.on('end', () => {
      seen.push({ headers: req.headers, body })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  servers.push(server)
  return { port: (server.address() as { port: number }).port, seen }
}

/** A resolver that gives each call the next answer in line (and counts the calls). */
function scripted(...answers: (ResolvedAddress[] | Error)[]): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = async (hostname: string) => {
    calls.push(hostname)
    const next = answers[Math.min(calls.length - 1, answers.length - 1)]!
    if (next instanceof Error) throw next
    return next
  }
  return Object.assign(resolve, { calls })
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 })
const request = (body = '{"event":"domain.created"}') => ({ headers: { 'Content-Type': 'application/json' }, body: Buffer.from(body), timeoutMs: 2_000 })

describe('receiverGuard.check', () => {
  it('accepts a name whose every answer is public, and keeps those answers to connect to', async () => {
    const result = await receiverGuard.check('https://hooks.example.com/x', NONE, scripted([v4(PUBLIC_IP), { address: '2606:4700::1', family: 6 }]))
    expect(result).toMatchObject({ ok: true, receiver: { addresses: [v4(PUBLIC_IP), { address: '2606:4700::1', family: 6 }] } })
  })

  it.each([
    ['a loopback answer', [v4('127.0.0.1')]],
    ['one private answer among public ones', [v4(PUBLIC_IP), v4('10.0.0.5')]],
    ['the metadata address', [v4('169.254.169.254')]],
    ['an IPv4-mapped loopback answer', [{ address: '::ffff:127.0.0.1', family: 6 as const }]],
    ['no answers', []],
  ])('refuses a name with %s', async (_label, answers) => {
    expect((await receiverGuard.check('https://hooks.example.com/x', NONE, scripted(answers))).ok).toBe(false)
  })

  it('refuses a name that does not resolve, marked as unresolved', async () => {
    const result = await receiverGuard.check('https://nowhere.example/', NONE, scripted(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })))
    expect(result).toMatchObject({ ok: false, unresolved: true })
  })

  it('refuses localhost names without asking DNS', async () => {
    const resolve = scripted([v4(PUBLIC_IP)])
    for (const url of ['http://localhost/', 'http://LOCALHOST./', 'http://api.localhost/']) expect((await receiverGuard.check(url, LOOPBACK, resolve)).ok).toBe(false)
    expect(resolve.calls).toEqual([])
  })

  it('refuses other schemes and credentials even if the row got past the schema (a restore)', async () => {
    for (const url of ['ftp://8.8.8.8/', 'http://user:pw@8.8.8.8/', 'http://user@8.8.8.8/', 'not a url']) expect((await receiverGuard.check(url, NONE)).ok).toBe(false)
  })

  it('lets an allowed range through, but never unspecified, multicast or broadcast addresses', async () => {
    const everything = new IpList(['0.0.0.0/0', '::/0'])
    expect((await receiverGuard.check('http://127.0.0.1:9/', LOOPBACK)).ok).toBe(true)
    expect((await receiverGuard.check('http://[::ffff:127.0.0.1]:9/', LOOPBACK)).ok).toBe(true)
    expect((await receiverGuard.check('http://10.0.0.1/', LOOPBACK)).ok).toBe(false)
    for (const url of ['http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[ff02::1]/']) {
      expect((await receiverGuard.check(url, everything)).ok, url).toBe(false)
    }
  })

  it('answers registration with one generic 400, whatever the reason', async () => {
    for (const url of ['http://127.0.0.1/', 'http://hooks.example.com/']) {
      await expect(receiverGuard.assertRegistrable(url, NONE, scripted([v4('10.0.0.1')]))).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED', detail: RECEIVER_REFUSED_DETAIL })
    }
    await expect(receiverGuard.assertRegistrable('https://hooks.example.com/', NONE, scripted([v4(PUBLIC_IP)]))).resolves.toBeUndefined()
  })
})

describe('receiverGuard.deliver', () => {
  it('refuses a name that was public at registration and resolves privately at delivery (DNS rebinding), without connecting', async () => {
    const rx = await listen('127.0.0.1')
    const url = `http://rebind.example:${rx.port}/hook`
    const resolve = scripted([v4(PUBLIC_IP)], [v4('127.0.0.1')])
    expect((await receiverGuard.check(url, NONE, resolve)).ok).toBe(true) // registration
    const outcome = await receiverGuard.deliver(url, request(), NONE, resolve)
    expect(outcome).toMatchObject({ ok: false, error: DELIVERY_ERRORS.policy })
    expect(resolve.calls).toEqual(['rebind.example', 'rebind.example'])
    expect(rx.seen).toEqual([])
  })

  it('refuses at delivery once the allowance is gone', async () => {
    const rx = await listen('127.0.0.1')
    const url = `http://127.0.0.1:${rx.port}/hook`
    expect(await receiverGuard.deliver(url, request(), LOOPBACK)).toEqual({ ok: true })
    expect(await receiverGuard.deliver(url, request(), NONE)).toMatchObject({ ok: false, error: DELIVERY_ERRORS.policy })
    expect(rx.seen).toHaveLength(1)
  })

  it('connects only to the checked address: no second resolution of the name', async () => {
    // `localhost` resolves to 127.0.0.1 (or ::1) through the system; the guard's resolver says
    // 127.0.0.2. Only a connection pinned to the checked answer reaches the 127.0.0.2 listener.
    const pinned = await listen('127.0.0.2')
    const other = await listen('127.0.0.1', pinned.port).catch(() => undefined)
    const resolve = scripted([v4('127.0.0.2')])
    const receiver = await receiverGuard.check(`http://pinned.test:${pinned.port}/hook?x=1`, LOOPBACK, resolve)
    expect(receiver.ok).toBe(true)
    if (!receiver.ok) return
    expect(await receiverGuard.post(receiver.receiver, request('{"n":1}'))).toEqual({ ok: true })
    expect(pinned.seen).toHaveLength(1)
    expect(pinned.seen[0]).toMatchObject({ body: '{"n":1}', headers: { 'host': `pinned.test:${pinned.port}`, 'content-type': 'application/json', 'content-length': '7' } })
    expect(other?.seen ?? []).toEqual([])
    expect(resolve.calls).toEqual(['pinned.test'])

    // The same with a name the system resolves elsewhere.
    const local = await receiverGuard.check(`http://localhost:${pinned.port}/`, LOOPBACK, resolve)
    expect(local.ok).toBe(false) // localhost is refused by name, allowance or not
    const forced = { url: new URL(`http://localhost:${pinned.port}/`), addresses: [v4('127.0.0.2')] }
    expect(await receiverGuard.post(forced, request())).toEqual({ ok: true })
    expect(pinned.seen).toHaveLength(2)
    expect(other?.seen ?? []).toEqual([])
  })

  it('drops a connection whose peer is not a checked address before anything is sent', async () => {
    // A literal host skips `lookup`; the socket's peer is compared with the checked list all the same.
    const rx = await listen('127.0.0.1')
    const mismatched = { url: new URL(`http://127.0.0.1:${rx.port}/`), addresses: [v4('127.0.0.2')] }
    expect(await receiverGuard.post(mismatched, request())).toMatchObject({ ok: false, error: DELIVERY_ERRORS.failed, log: expect.stringMatching(/not checked/) })
    await new Promise(r => setTimeout(r, 100))
    expect(rx.seen).toEqual([])
  })

  it('maps every network failure to one text, and an HTTP answer to its status', async () => {
    const closed = await listen('127.0.0.1')
    await new Promise<void>(resolve => servers.pop()!.close(() => resolve()))
    const refused = await receiverGuard.deliver(`http://127.0.0.1:${closed.port}/`, request(), LOOPBACK)
    expect(refused).toMatchObject({ ok: false, error: DELIVERY_ERRORS.failed, log: expect.stringMatching(/ECONNREFUSED/) })

    // A listener that never answers: the timeout reads exactly like the refusal.
    const silent = createServer(() => {})
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    servers.push(silent)
    const port = (silent.address() as { port: number }).port
    const timedOut = await receiverGuard.deliver(`http://127.0.0.1:${port}/`, { ...request(), timeoutMs: 300 }, LOOPBACK)
    expect(timedOut).toMatchObject({ ok: false, error: DELIVERY_ERRORS.failed })
    expect((timedOut as { error: string }).error).toBe((refused as { error: string }).error)

    const unresolved = await receiverGuard.deliver('http://gone.example/', request(), NONE, scripted(Object.assign(new Error('x'), { code: 'ENOTFOUND' })))
    expect(unresolved).toMatchObject({ ok: false, error: DELIVERY_ERRORS.failed })

    const failing = await listen('127.0.0.1', 0, 500)
    expect(await receiverGuard.deliver(`http://127.0.0.1:${failing.port}/`, request(), LOOPBACK)).toMatchObject({ ok: false, error: 'receiver answered HTTP 500' })
    const redirecting = await listen('127.0.0.1', 0, 302)
    expect(await receiverGuard.deliver(`http://127.0.0.1:${redirecting.port}/`, request(), LOOPBACK)).toMatchObject({ ok: false, error: 'receiver answered HTTP 302 (redirects are not followed)' })
    expect(redirecting.seen).toHaveLength(1)
  })
})
