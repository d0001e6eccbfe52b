import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { request as httpRequest, type Agent } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createVethNamespace } from './netns'
import { LEGACY_API_KEY, pathWithoutMailDaemons } from './server'

const exec = promisify(execFile)
const SERVER_ENTRY = join(process.cwd(), '.output/server/index.mjs')
const READY_TIMEOUT_MS = 60_000
/** How long a connect may take before it counts as dropped (on a veth pair an open port answers in < 1 ms). */
export const DROP_TIMEOUT_MS = 1_000

/**
 * A network namespace for the panel (its own netfilter tables, so the test's iptables rules never
 * reach this machine's), joined by a veth pair to this namespace, where the clients are: `client(n)`
 * is one of this side's addresses (IPv4 10.214.x.n, IPv6 fd42:214:x::n), `server` the namespace's.
 */
export interface FirewallNet {
  name: string
  server: { v4: string, v6: string }
  client: (n: number) => { v4: string, v6: string }
  /** argv run inside the namespace, its stdout. */
  run: (argv: string[]) => Promise<string>
  remove: () => Promise<void>
}

export async function createFirewallNet(clients: number[]): Promise<FirewallNet> {
  const x = 1 + Math.floor(Math.random() * 254)
  const addr = (n: number) => ({ v4: `10.214.${x}.${n}`, v6: `fd42:214:${x.toString(16)}::${n.toString(16)}` })
  const { name, remove } = await createVethNamespace({ ns: 'mpfw', host: 'fwh', peer: 'fwn' }, async ({ ip, name, hostIf, nsIf }) => {
    for (const n of clients) {
      await ip('addr', 'add', `${addr(n).v4}/24`, 'dev', hostIf)
      // nodad: usable at once, not after duplicate address detection's second or so.
      await ip('-6', 'addr', 'add', `${addr(n).v6}/64`, 'dev', hostIf, 'nodad')
    }
    await ip('link', 'set', hostIf, 'up')
    await ip('-n', name, 'addr', 'add', `${addr(100).v4}/24`, 'dev', nsIf)
    await ip('-n', name, '-6', 'addr', 'add', `${addr(100).v6}/64`, 'dev', nsIf, 'nodad')
  })
  return {
    name,
    server: addr(100),
    client: addr,
    run: async argv => (await exec('ip', ['netns', 'exec', name, ...argv])).stdout,
    remove,
  }
}

/** What a TCP connect from `localAddress` meets: an answer, a reset (nothing listening), or silence (dropped). */
export function tryConnect(host: string, port: number, localAddress: string): Promise<'open' | 'refused' | 'dropped'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress })
    const done = (verdict: 'open' | 'refused' | 'dropped') => {
      clearTimeout(timer)
      socket.destroy()
      resolve(verdict)
    }
    const timer = setTimeout(() => done('dropped'), DROP_TIMEOUT_MS)
    socket.once('connect', () => done('open'))
    socket.once('error', err => done((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'refused' : 'dropped'))
  })
}

/** An open connection that answers: each line written comes back from the namespace's echo listener. */
export async function openEcho(host: string, port: number, localAddress: string): Promise<{ echo: (line: string) => Promise<string>, close: () => void }> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress }, () => resolve(s))
    s.once('error', reject)
  })
  return {
    echo: line => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo within 2 s: the open connection was cut')), 2_000)
      socket.once('data', (d: Buffer) => {
        clearTimeout(timer)
        resolve(d.toString().trim())
      })
      socket.write(`${line}\n`)
    }),
    close: () => socket.destroy(),
  }
}

// Echoes every line back, on each port given, IPv4 and IPv6 (a "::" socket takes both).
const ECHO = `for (const p of process.argv.slice(1)) require('node:net').createServer(s => s.pipe(s)).listen(Number(p), '::')`

/** Echo listeners inside the namespace on `ports`, standing in for Postfix and Dovecot. */
export async function startEchoListeners(net: FirewallNet, ports: number[]): Promise<() => void> {
  const child = spawn('ip', ['netns', 'exec', net.name, process.execPath, '-e', ECHO, ...ports.map(String)], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  while ((await tryConnect(net.server.v4, ports[0]!, net.client(1).v4)) !== 'open') {
    if (Date.now() > deadline) throw new Error('echo listeners did not start')
    await new Promise(r => setTimeout(r, 50))
  }
  return () => child.kill('SIGKILL')
}

export interface NetPanel {
  url: (address: string) => string
  output: () => string
  stop: () => Promise<void>
}

/**
 * A PATH with iptables and ip6tables (and their -restore) but not the mail daemons the reconciler
 * would otherwise manage from the test root.
 */
export function iptablesOnlyPath(): { path: string, cleanup: () => void } {
  const bin = mkdtempSync(join(tmpdir(), 'mailpanel-fw-bin-'))
  for (const b of ['iptables', 'iptables-restore', 'ip6tables', 'ip6tables-restore']) symlinkSync(`/usr/sbin/${b}`, join(bin, b))
  return { path: `${bin}:${pathWithoutMailDaemons()}`, cleanup: () => rmSync(bin, { recursive: true, force: true }) }
}

/** The built panel inside the namespace on [::]:port (embedded PGlite: the host's PostgreSQL is not reachable from there). */
export async function startPanelInNet(net: FirewallNet, root: string, port: number, path: string): Promise<NetPanel> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path, MAILPANEL_ROOT: root, PORT: String(port), HOST: '::', CONSOLA_LEVEL: '3', POLICYD_LISTEN: '127.0.0.1:0' }
  delete env.DATABASE_URL
  let output = ''
  const child: ChildProcess = spawn('ip', ['netns', 'exec', net.name, process.execPath, SERVER_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const exited = new Promise(resolve => child.once('exit', resolve))
  const url = (address: string) => `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  const deadline = Date.now() + READY_TIMEOUT_MS
  // Asked over the veth from client 1 (the admin), as the admin's browser would.
  while ((await apiCall(url(net.server.v4), 'GET', '/health', net.client(1).v4).catch(() => ({ status: 0 }))).status !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`panel in ${net.name} did not become healthy:\n${output}`)
    }
    await new Promise(r => setTimeout(r, 100))
  }
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** One API call from `localAddress` with the legacy API key; `agent` to send it on a kept-alive connection. */
export function apiCall(base: string, method: string, path: string, localAddress: string, body?: unknown, agent?: Agent): Promise<{ status: number, json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = httpRequest(`${base}${path}`, {
      method,
      localAddress: agent ? undefined : localAddress,
      agent,
      timeout: 5_000,
      headers: { 'x-api-key': LEGACY_API_KEY, ...(payload && { 'content-type': 'application/json' }) },
    }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) as Record<string, unknown> : {} }))
    })
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)))
    req.once('error', reject)
    req.end(payload)
  })
}
