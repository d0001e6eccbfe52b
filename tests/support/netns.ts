import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/**
 * A network namespace for mail clients from addresses that are not loopback (the SPF, DMARC and
 * greylisting code paths skip loopback), joined to this one by a veth pair: `hostAddress` is this
 * side (smtpd listens there), `clientAddress(n)` the namespace's side, one address per client host.
 */
export interface ClientNetwork {
  name: string
  hostAddress: string
  clientAddress: (n: number) => string
  /** argv run inside the namespace. */
  command: (cmd: string, args: string[]) => [string, string[]]
  remove: () => Promise<void>
}

/** A new network namespace joined to this one by a veth pair: `hostIf` on this side, `nsIf` inside. */
export interface VethNamespace {
  name: string
  hostIf: string
  nsIf: string
  /** `ip …` on this side; `ip -n <name> …` reaches the namespace. */
  ip: (...args: string[]) => Promise<unknown>
  remove: () => Promise<void>
}

/**
 * Creates the namespace and the pair (names from `prefix` plus a per-process tag, short enough for
 * an interface name), then `configure` sets addresses and links; a failure anywhere removes both.
 */
export async function createVethNamespace(prefix: { ns: string, host: string, peer: string }, configure: (net: VethNamespace) => Promise<void>): Promise<VethNamespace> {
  const tag = `${process.pid % 1000}${Math.floor(Math.random() * 1000)}`
  const ip = (...args: string[]) => exec('ip', args)
  const net: VethNamespace = {
    name: `${prefix.ns}-${tag}`,
    hostIf: `${prefix.host}${tag}`,
    nsIf: `${prefix.peer}${tag}`,
    ip,
    remove: async () => {
      // Deleting the namespace destroys its end of the pair, and with it this end.
      await ip('netns', 'del', net.name).catch(() => {})
      await ip('link', 'del', net.hostIf).catch(() => {})
    },
  }
  try {
    await ip('netns', 'add', net.name)
    await ip('link', 'add', net.hostIf, 'type', 'veth', 'peer', 'name', net.nsIf)
    await ip('link', 'set', net.nsIf, 'netns', net.name)
    await configure(net)
    await ip('-n', net.name, 'link', 'set', net.nsIf, 'up')
    await ip('-n', net.name, 'link', 'set', 'lo', 'up')
  }
  catch (err) {
    await net.remove()
    throw err
  }
  return net
}

export async function createClientNetwork(clients: number[]): Promise<ClientNetwork> {
  const subnet = `10.213.${1 + Math.floor(Math.random() * 254)}`
  const { name, remove } = await createVethNamespace({ ns: 'mpt', host: 'mph', peer: 'mpc' }, async ({ ip, name, hostIf, nsIf }) => {
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', hostIf)
    await ip('link', 'set', hostIf, 'up')
    for (const n of clients) await ip('-n', name, 'addr', 'add', `${subnet}.${n}/24`, 'dev', nsIf)
  })
  return {
    name,
    hostAddress: `${subnet}.1`,
    clientAddress: n => `${subnet}.${n}`,
    command: (cmd, args) => ['ip', ['netns', 'exec', name, cmd, ...args]],
    remove,
  }
}
