import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, toast, type Dashboard } from '../support/browser'
import { pathWithoutMailDaemons } from '../support/server'

// Stand-in iptables, ip6tables and their -restore that keep what they were given (this machine's own
// firewall must not change under a browser test; real packets are the system suite's): each restore
// file is copied to rules.v4 / rules.v6, and the INPUT jump exists once it was inserted.
const bin = mkdtempSync(join(tmpdir(), 'mailpanel-fw-ui-'))
const RESTORE = (family: string) => `#!/bin/sh\nfor last; do :; done\ncat "$last" > ${bin}/rules.v${family}\n`
const TABLES = `#!/bin/sh
case "$3" in
  -C) test -e ${bin}/jump ;;
  -I) touch ${bin}/jump ;;
esac
`

let d: Dashboard
const row = (port: number) => d.w.page.getByTestId(`firewall-row-${port}`)
const chooseMode = async (port: number, label: string) => {
  await row(port).getByLabel(`Mode for port ${port}`).click()
  await d.w.page.getByRole('option', { name: label }).click()
}

describe('the Firewall tab in Chromium', () => {
  beforeAll(async () => {
    for (const family of ['4', '6']) writeFileSync(join(bin, family === '4' ? 'iptables-restore' : 'ip6tables-restore'), RESTORE(family), { mode: 0o755 })
    for (const name of ['iptables', 'ip6tables']) writeFileSync(join(bin, name), TABLES, { mode: 0o755 })
    d = await startDashboard({}, { PATH: `${bin}:${pathWithoutMailDaemons()}` })
  })

  afterAll(async () => {
    await d?.close()
    rmSync(bin, { recursive: true, force: true })
  })

  screenshotOnFailure(() => d?.w)

  it('shows a row per managed port, the panel\'s own last, and warns about the current address', async () => {
    await d.w.page.goto('/firewall')
    await d.signIn()
    for (const port of [25, 465, 587, 993, 995, 143, 110]) await row(port).waitFor()
    const panelPort = Number(new URL(d.server.url).port)
    expect(await row(panelPort).innerText()).toContain('Panel')
    const warning = d.w.page.getByTestId('firewall-self')
    expect(await warning.innerText()).toContain('Your address: 127.0.0.1')
    expect(await warning.innerText()).toContain(`The panel's port ${panelPort} must keep admitting it`)
    await d.w.page.getByRole('link', { name: 'Firewall' }).waitFor()
    await d.w.screenshot('firewall')
    await chooseMode(panelPort, 'Block')
    await warning.getByText('does not list it', { exact: false }).waitFor()
    await chooseMode(panelPort, 'Allow')
    expect(await warning.getByText('does not list it', { exact: false }).count()).toBe(0)
  })

  it('shows a bad address inline and sends nothing', async () => {
    await chooseMode(143, 'Restrict to addresses')
    await row(143).getByLabel('Addresses for port 143').fill('10.0.0.0/33')
    await d.w.page.getByRole('button', { name: 'Save firewall' }).click()
    await row(143).getByText('must be an IPv4/IPv6 address or CIDR', { exact: false }).waitFor()
    expect(await d.w.page.getByText('Apply firewall rules?').count()).toBe(0)
    expect(existsSync(join(bin, 'rules.v4'))).toBe(false)
  })

  it('applies Block and Restrict after confirmation, and shows them again after a reload', async () => {
    await row(143).getByLabel('Addresses for port 143').fill('10.0.0.0/8\n2001:db8::/32')
    await chooseMode(25, 'Block')
    await d.w.page.getByRole('button', { name: 'Save firewall' }).click()
    await d.w.page.getByText('Apply firewall rules?').waitFor()
    await d.w.page.getByText('25 blocked, 143 restricted to 2 address(es)', { exact: false }).waitFor()
    await confirmDialog(d.w.page)
    await toast(d.w.page, 'Firewall rules applied').waitFor()
    expect(readFileSync(join(bin, 'rules.v4'), 'utf8')).toContain('-A BSMP_FW -s 10.0.0.0/8 -p tcp -m tcp --dport 143 -j RETURN')
    expect(readFileSync(join(bin, 'rules.v6'), 'utf8')).toContain('-A BSMP_FW -p tcp -m tcp --dport 25 -j DROP')
    const saved = JSON.parse(readFileSync(join(d.server.root, 'etc/backendside-mailpanel/firewall.json'), 'utf8')) as { ports: { port: number, mode: string }[] }
    expect(saved.ports.filter(p => p.mode !== 'allow')).toMatchObject([{ port: 25, mode: 'block' }, { port: 143, mode: 'restrict' }])

    await d.w.page.reload()
    await poll(() => row(143).getByLabel('Addresses for port 143').inputValue()).toBe('10.0.0.0/8\n2001:db8::/32')
    expect(await row(25).innerText()).toContain('Block')
    expect(d.unexpectedErrors()).toEqual([])
  })
})
