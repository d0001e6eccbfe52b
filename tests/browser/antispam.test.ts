import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AntispamConfig, WhitelistEntry } from '#shared/types/antispam'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, type Dashboard } from '../support/browser'
import { LEGACY_API_KEY } from '../support/server'

const headers = { 'x-api-key': LEGACY_API_KEY }

let d: Dashboard

const read = async <T>(path: string): Promise<T> => (await fetch(`${d.server.url}${path}`, { headers })).json() as Promise<T>
const whitelistRow = (value: string) => d.w.page.getByTestId('whitelist-table').getByRole('row').filter({ hasText: value })

describe('the anti-spam tab in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    await d.w.page.goto('/antispam')
    await d.signIn()
    await d.w.page.getByTestId('dnsbl-form').waitFor()
  })

  afterAll(() => d?.close())

  screenshotOnFailure(() => d?.w)

  it('shows the server\'s message on the zones field, and a zone edit persists after a reload', async () => {
    d.expected.push(/status of 400 .*\/api\/v1\/config\/antispam$/)
    const form = d.w.page.getByTestId('dnsbl-form')
    await form.getByLabel('Blocklist zones').fill('zen.spamhaus.org\nbl_bad.example')
    await form.getByRole('button', { name: 'Save DNSBL' }).click()
    await form.getByText('must be a DNS zone such as zen.spamhaus.org', { exact: false }).waitFor()
    expect((await read<AntispamConfig>('/api/v1/config/antispam')).dnsbl_zones).not.toContain('bl_bad.example')

    await form.getByLabel('Blocklist zones').fill('zen.spamhaus.org\n\nbl.spamcop.net ')
    await form.getByRole('button', { name: 'Save DNSBL' }).click()
    await poll(async () => (await read<AntispamConfig>('/api/v1/config/antispam')).dnsbl_zones).toEqual(['zen.spamhaus.org', 'bl.spamcop.net'])
    await d.w.page.reload()
    await poll(() => d.w.page.getByTestId('dnsbl-form').getByLabel('Blocklist zones').inputValue()).toBe('zen.spamhaus.org\nbl.spamcop.net')
  })

  it('saves the greylisting delay, and says postgrey is missing (the test server\'s PATH has no sbin)', async () => {
    const form = d.w.page.getByTestId('greylist-form')
    await form.getByLabel('Delay (seconds)').fill('120')
    await form.getByRole('button', { name: 'Save greylisting' }).click()
    await poll(async () => (await read<AntispamConfig>('/api/v1/config/antispam')).greylist_delay).toBe(120)
    const hint = d.w.page.getByTestId('capability-hint').filter({ hasText: 'postgrey' })
    expect(await hint.innerText()).toContain('postgrey is not installed: apt install postgrey')
    await d.w.page.reload()
    await poll(() => d.w.page.getByTestId('greylist-form').getByLabel('Delay (seconds)').inputValue()).toBe('120')
  })

  it('adds a whitelist entry inline, shows a bad value in the server\'s words, and deletes an entry after confirmation', async () => {
    d.expected.push(/status of 400 .*\/api\/v1\/antispam\/whitelist$/)
    const form = d.w.page.getByTestId('whitelist-form')
    await form.getByLabel('Value').fill('192.0.2.10')
    await form.getByLabel('Comment').fill('partner relay')
    await form.getByRole('button', { name: 'Add to whitelist' }).click()
    await whitelistRow('192.0.2.10').getByText('partner relay').waitFor()
    expect(await form.getByLabel('Value').inputValue()).toBe('')

    await form.getByLabel('Kind').click()
    await d.w.page.getByRole('option', { name: 'Network (CIDR)' }).click()
    await form.getByLabel('Value').fill('10.0.0.0/33')
    await form.getByRole('button', { name: 'Add to whitelist' }).click()
    await form.getByText('the prefix length must be at most 32', { exact: false }).waitFor()
    expect(await whitelistRow('10.0.0.0/33').count()).toBe(0)
    await form.getByLabel('Value').fill('198.51.100.0/24')
    await form.getByRole('button', { name: 'Add to whitelist' }).click()
    await whitelistRow('198.51.100.0/24').waitFor()
    d.expected.push(/status of 409 .*\/api\/v1\/antispam\/whitelist$/)
    await form.getByLabel('Value').fill('198.51.100.0/24')
    await form.getByRole('button', { name: 'Add to whitelist' }).click()
    await form.getByText('That entry is already on the anti-spam whitelist.').waitFor()
    await d.w.screenshot('antispam')

    await whitelistRow('192.0.2.10').getByRole('button', { name: 'Delete 192.0.2.10' }).click()
    await d.w.page.getByText('Remove 192.0.2.10 from the whitelist?').waitFor()
    await confirmDialog(d.w.page)
    await poll(() => whitelistRow('192.0.2.10').count()).toBe(0)
    const { data } = await read<{ data: WhitelistEntry[] }>('/api/v1/antispam/whitelist')
    expect(data.map(e => e.value)).toEqual(['198.51.100.0/24'])
  })

  it('turns SPF off and on with its switch', async () => {
    const spf = d.w.page.getByTestId('feature-spf')
    const before = (await read<AntispamConfig>('/api/v1/config/antispam')).spf_enabled
    await spf.getByRole('switch').click()
    await poll(async () => (await read<AntispamConfig>('/api/v1/config/antispam')).spf_enabled).toBe(!before)
    await spf.getByRole('switch').click()
    await poll(async () => (await read<AntispamConfig>('/api/v1/config/antispam')).spf_enabled).toBe(before)
    await poll(() => spf.getByRole('switch').getAttribute('aria-checked')).toBe(String(before))
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(d.w.foreign()).toEqual([])
    expect(d.unexpectedErrors()).toEqual([])
  })
})
