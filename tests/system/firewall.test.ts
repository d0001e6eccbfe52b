import { readFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiCall, createFirewallNet, iptablesOnlyPath, openEcho, startEchoListeners, startPanelInNet, tryConnect, type FirewallNet, type NetPanel } from '../support/firewall-net'
import { makeRoot, removeRoot } from '../support/server'

// Real packets through a veth pair: the panel and stand-in mail listeners in their own network
// namespace (its own netfilter tables), the clients in this one at three addresses: 1 is the
// admin, 2 an address a rule lists, 3 any other.
const PANEL_PORT = 8080
const [ADMIN, LISTED, OTHER] = [1, 2, 3]
const SMTP = 25
const IMAP = 143
// Already in the namespace's INPUT before the panel starts: the panel must leave it as it is.
const FOREIGN_RULE = '-A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT'

let net: FirewallNet
let panel: NetPanel
let root: string
let stopEcho: () => void
let tools: ReturnType<typeof iptablesOnlyPath>

const put = (ports: unknown[], from = ADMIN, family: 'v4' | 'v6' = 'v4') =>
  apiCall(panel.url(net.server[family]), 'PUT', '/api/v1/security/firewall', net.client(from)[family], { ports })
const reach = (port: number, from: number, family: 'v4' | 'v6' = 'v4') => tryConnect(net.server[family], port, net.client(from)[family])
const chain = (tables: 'iptables' | 'ip6tables') => net.run([tables, '-S', 'BSMP_FW'])
const inputRules = async (tables: 'iptables' | 'ip6tables') => (await net.run([tables, '-S', 'INPUT'])).trim().split('\n')

describe('the per-port firewall with real packets in a network namespace', () => {
  beforeAll(async () => {
    net = await createFirewallNet([ADMIN, LISTED, OTHER])
    for (const tables of ['iptables', 'ip6tables']) await net.run([tables, ...FOREIGN_RULE.split(' ')])
    stopEcho = await startEchoListeners(net, [SMTP, IMAP])
    root = await makeRoot()
    tools = iptablesOnlyPath()
    panel = await startPanelInNet(net, root, PANEL_PORT, tools.path)
  })

  afterAll(async () => {
    await panel?.stop()
    stopEcho?.()
    await net?.remove()
    tools?.cleanup()
    if (root) removeRoot(root)
  })

  it('starts with every port open and no BSMP_FW chain (no firewall.json yet)', async () => {
    expect(await reach(SMTP, OTHER)).toBe('open')
    expect(await reach(SMTP, OTHER, 'v6')).toBe('open')
    await expect(chain('iptables')).rejects.toThrow()
    const { status, json } = await apiCall(panel.url(net.server.v4), 'GET', '/api/v1/security/firewall', net.client(ADMIN).v4)
    expect(status).toBe(200)
    expect(json).toMatchObject({ chain: 'BSMP_FW', panel_port: PANEL_PORT, your_address: net.client(ADMIN).v4, available: true, saved: false })
  })

  it('Block drops a TCP connect to the port, over IPv4 and IPv6, and leaves the other ports open', async () => {
    const res = await put([{ port: SMTP, mode: 'block' }])
    expect(res.status).toBe(200)
    expect(await reach(SMTP, OTHER)).toBe('dropped')
    expect(await reach(SMTP, OTHER, 'v6')).toBe('dropped')
    expect(await reach(IMAP, OTHER)).toBe('open')
    expect(await reach(PANEL_PORT, OTHER)).toBe('open')
  })

  it('Restrict admits only the listed addresses, IPv4 and IPv6 each from its own list', async () => {
    const res = await put([{ port: IMAP, mode: 'restrict', addresses: [`${net.client(LISTED).v4}/32`, net.client(LISTED).v6] }])
    expect(res.status).toBe(200)
    expect(await reach(IMAP, LISTED)).toBe('open')
    expect(await reach(IMAP, OTHER)).toBe('dropped')
    expect(await reach(IMAP, LISTED, 'v6')).toBe('open')
    expect(await reach(IMAP, OTHER, 'v6')).toBe('dropped')
    // The whole table was replaced: 25, left out, is Allow again.
    expect(await reach(SMTP, OTHER)).toBe('open')
  })

  it('ip6tables holds the same rules as iptables, each with its own family of addresses', async () => {
    const v4 = await chain('iptables')
    const v6 = await chain('ip6tables')
    expect(v4).toContain(`-A BSMP_FW -s ${net.client(LISTED).v4}/32 -p tcp -m tcp --dport ${IMAP} -j RETURN`)
    expect(v6).toContain(`-A BSMP_FW -s ${net.client(LISTED).v6}/128 -p tcp -m tcp --dport ${IMAP} -j RETURN`)
    const shape = (rules: string) => rules.replace(/-s \S+ /g, '-s ADDR ')
    expect(shape(v6)).toBe(shape(v4))
  })

  it('Allow opens the port again', async () => {
    const res = await put([{ port: IMAP, mode: 'allow', addresses: [net.client(LISTED).v4] }])
    expect(res.status).toBe(200)
    expect(await reach(IMAP, OTHER)).toBe('open')
    expect(await reach(IMAP, OTHER, 'v6')).toBe('open')
    // The list is kept for the next Restrict, but not applied.
    expect((res.json.ports as { port: number, addresses: string[] }[]).find(p => p.port === IMAP)!.addresses).toEqual([net.client(LISTED).v4])
  })

  it('does not cut a connection the admin already has open when its port is blocked', async () => {
    const session = await openEcho(net.server.v4, IMAP, net.client(ADMIN).v4)
    try {
      expect(await session.echo('before')).toBe('before')
      expect((await put([{ port: IMAP, mode: 'block' }])).status).toBe(200)
      expect(await reach(IMAP, ADMIN)).toBe('dropped')
      expect(await session.echo('after')).toBe('after')
    }
    finally {
      session.close()
    }
  })

  it('refuses a panel-port rule that would block the admin\'s own address, and changes nothing', async () => {
    const before = await chain('iptables')
    const saved = readFileSync(join(root, 'etc/backendside-mailpanel/firewall.json'), 'utf8')
    for (const rule of [{ port: PANEL_PORT, mode: 'block' }, { port: PANEL_PORT, mode: 'restrict', addresses: [net.client(LISTED).v4] }]) {
      const res = await put([rule])
      expect(res.status).toBe(409)
      expect(res.json).toMatchObject({ code: 'LOCKOUT_PREVENTED' })
      expect(res.json.detail).toContain(net.client(ADMIN).v4)
    }
    expect(await chain('iptables')).toBe(before)
    expect(readFileSync(join(root, 'etc/backendside-mailpanel/firewall.json'), 'utf8')).toBe(saved)
    expect(await reach(PANEL_PORT, OTHER)).toBe('open')
  })

  it('restricts the panel port to the admin: others are dropped, the admin\'s kept-alive connection goes on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: net.client(ADMIN).v4 })
    try {
      const base = panel.url(net.server.v4)
      expect((await apiCall(base, 'GET', '/api/v1/security/firewall', net.client(ADMIN).v4, undefined, agent)).status).toBe(200)
      const res = await apiCall(base, 'PUT', '/api/v1/security/firewall', net.client(ADMIN).v4, { ports: [{ port: PANEL_PORT, mode: 'restrict', addresses: [`${net.client(ADMIN).v4}/32`] }] }, agent)
      expect(res.status).toBe(200)
      expect(await reach(PANEL_PORT, OTHER)).toBe('dropped')
      expect(await reach(PANEL_PORT, OTHER, 'v6')).toBe('dropped')
      expect(await reach(PANEL_PORT, ADMIN)).toBe('open')
      expect((await apiCall(base, 'GET', '/api/v1/security/firewall', net.client(ADMIN).v4, undefined, agent)).status).toBe(200)
    }
    finally {
      agent.destroy()
    }
  })

  it('jumps to BSMP_FW from INPUT exactly once, first, and leaves the rule that was there', async () => {
    for (const tables of ['iptables', 'ip6tables'] as const) {
      const input = await inputRules(tables)
      expect(input.filter(r => r.includes('BSMP_FW'))).toEqual(['-A INPUT -j BSMP_FW'])
      expect(input.slice(1)).toEqual(['-A INPUT -j BSMP_FW', FOREIGN_RULE])
    }
  })

  it('applies firewall.json again at start after the chain was lost (as after a reboot)', async () => {
    expect((await put([{ port: SMTP, mode: 'block' }, { port: PANEL_PORT, mode: 'restrict', addresses: [net.client(ADMIN).v4, net.client(ADMIN).v6] }])).status).toBe(200)
    await panel.stop()
    for (const tables of ['iptables', 'ip6tables']) {
      await net.run([tables, '-D', 'INPUT', '-j', 'BSMP_FW'])
      await net.run([tables, '-F', 'BSMP_FW'])
      await net.run([tables, '-X', 'BSMP_FW'])
    }
    expect(await reach(SMTP, OTHER)).toBe('open')
    panel = await startPanelInNet(net, root, PANEL_PORT, tools.path)
    await expect.poll(() => reach(SMTP, OTHER), { timeout: 10_000 }).toBe('dropped')
    expect(await reach(SMTP, OTHER, 'v6')).toBe('dropped')
    expect(await reach(PANEL_PORT, OTHER)).toBe('dropped')
    expect(await reach(PANEL_PORT, ADMIN, 'v6')).toBe('open')
    expect(panel.output()).toContain('firewall.json applied to the BSMP_FW chain')
    for (const tables of ['iptables', 'ip6tables'] as const) expect((await inputRules(tables)).filter(r => r.includes('BSMP_FW'))).toHaveLength(1)
  })
})
