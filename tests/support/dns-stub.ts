import { createSocket, type Socket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import dnsPacket from 'dns-packet'

/** One record of the test's own zone: A (an IPv4 address) or TXT (one string, split into ≤255-byte chunks). */
export interface StubRecord {
  name: string
  type: 'A' | 'TXT'
  data: string
}

/** A tiny authoritative DNS server on UDP `address:53` and the resolv.conf that points at it. */
export interface DnsStub {
  address: string
  /** A resolv.conf naming only this server: bind-mount it over /etc/resolv.conf in a mount namespace. */
  resolvConf: string
  /** Every question asked, as `TYPE name` (what the daemons really looked up). */
  queries: string[]
  set: (records: StubRecord[]) => void
  stop: () => Promise<void>
}

const chunks = (s: string) => s.match(/.{1,255}/gs) ?? ['']

/**
 * Answers from `records` (case-insensitive names), NXDOMAIN for a name it does not know, an empty
 * NOERROR for a known name asked for another type. Port 53, because resolv.conf has no port field:
 * each run takes its own loopback address (127.53.x.y), so parallel runs and the host's resolver do
 * not collide.
 */
export async function startDnsStub(records: StubRecord[]): Promise<DnsStub> {
  let zone = records
  const queries: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'dns-stub-'))
  const socket: Socket = createSocket('udp4')
  socket.on('message', (msg, peer) => {
    let query: dnsPacket.Packet
    try {
      query = dnsPacket.decode(msg)
    }
    catch {
      return
    }
    const question = query.questions?.[0]
    if (!question) return
    queries.push(`${question.type} ${question.name}`)
    const name = question.name.toLowerCase().replace(/\.$/, '')
    const known = zone.filter(r => r.name.toLowerCase() === name)
    const answers = known.filter(r => r.type === question.type).map(r => r.type === 'A'
      ? { type: 'A' as const, name: question.name, ttl: 60, class: 'IN' as const, data: r.data }
      : { type: 'TXT' as const, name: question.name, ttl: 60, class: 'IN' as const, data: chunks(r.data) })
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      // Authoritative answer, recursion desired echoed, recursion available; NXDOMAIN (rcode 3) when unknown.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags! & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (known.length ? 0 : 3),
      questions: [question],
      answers,
    })
    socket.send(reply, peer.port, peer.address)
  })
  const address = await bindSomewhere(socket)
  const resolvConf = join(dir, 'resolv.conf')
  writeFileSync(resolvConf, `nameserver ${address}\noptions timeout:1 attempts:1\n`)
  return {
    address,
    resolvConf,
    queries,
    set: (next) => {
      zone = next
    },
    stop: () => new Promise<void>((resolve) => {
      socket.close(() => {
        rmSync(dir, { recursive: true, force: true })
        resolve()
      })
    }),
  }
}

/** A random 127.53.x.y (the whole 127/8 is this machine's loopback): a collision is next to impossible. */
function bindSomewhere(socket: Socket): Promise<string> {
  const address = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(53, address, () => {
      socket.off('error', reject)
      resolve(address)
    })
  })
}
