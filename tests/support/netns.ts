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

export async function createClientNetwork(clients: number[]): Promise<ClientNetwork> {
  const tag = `${process.pid % 1000}${Math.floor(Math.random() * 1000)}`
  const name = `mpt-${tag}`
  const subnet = `10.213.${1 + Math.floor(Math.random() * 254)}`
  const [hostIf, clientIf] = [`mph${tag}`, `mpc${tag}`]
  const ip = (...args: string[]) => exec('ip', args)
  const remove = async () => {
    // Deleting the namespace destroys its end of the pair, and with it this end.
    await ip('netns', 'del', name).catch(() => {})
    await ip('link', 'del', hostIf).catch(() => {})
  }
  try {
    await ip('netns', 'add', name)
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', clientIf)
    await ip('link', 'set', clientIf, 'netns', name)
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', hostIf)
    await ip('link', 'set', hostIf, 'up')
    for (const n of clients) await ip('-n', name, 'addr', 'add', `${subnet}.${n}/24`, 'dev', clientIf)
    await ip('-n', name, 'link', 'set', clientIf, 'up')
    await ip('-n', name, 'link', 'set', 'lo', 'up')
  }
  catch (err) {
    await remove()
    throw err
  }
  return {
    name,
    hostAddress: `${subnet}.1`,
    clientAddress: n => `${subnet}.${n}`,
    command: (cmd, args) => ['ip', ['netns', 'exec', name, cmd, ...args]],
    remove,
  }
}
