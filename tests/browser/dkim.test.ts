import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DkimKey } from '#shared/types/dkim'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, type Dashboard } from '../support/browser'
import { LEGACY_API_KEY } from '../support/server'

const DOMAIN = `dkim${Date.now().toString(36)}.example`
const headers = { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/json' }

let d: Dashboard

const row = (selector: string) => d.w.page.getByTestId('dkim-table').getByRole('row').filter({ hasText: `${selector}._domainkey.${DOMAIN}` })
const status = (selector: string) => row(selector).getByTestId('dkim-status').innerText()
async function keyOf(selector: string): Promise<DkimKey> {
  const { data } = await (await fetch(`${d.server.url}/api/v1/dkim/list`, { headers })).json() as { data: DkimKey[] }
  return data.find(k => k.domain === DOMAIN && k.selector === selector)!
}
const clipboard = () => d.w.page.evaluate(() => navigator.clipboard.readText())

async function generate(selector: string, before: (form: ReturnType<typeof d.w.page.getByTestId>) => Promise<void> = async () => {}) {
  await d.w.page.getByTestId('generate-dkim').click()
  const form = d.w.page.getByTestId('dkim-form')
  await form.getByLabel('Domain').click()
  await d.w.page.getByRole('option', { name: DOMAIN }).click()
  await form.getByLabel('Selector').fill(selector)
  await before(form)
  await form.getByRole('button', { name: 'Generate key' }).click()
  return form
}

describe('the DKIM tab in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    const res = await fetch(`${d.server.url}/api/v1/domains`, { method: 'POST', headers, body: JSON.stringify({ name: DOMAIN }) })
    expect(res.status).toBe(201)
    await d.w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: d.server.url })
    await d.w.page.goto('/dkim')
    await d.signIn()
  })

  afterAll(() => d?.close())

  screenshotOnFailure(() => d?.w)

  it('says OpenDKIM is missing and which package provides it (the test server\'s PATH has no sbin)', async () => {
    await d.w.page.getByTestId('dkim-table').getByTestId('empty').waitFor()
    const hint = d.w.page.getByTestId('capability-hint')
    await hint.waitFor()
    expect(await hint.innerText()).toContain('opendkim is not installed: apt install opendkim')
  })

  it('shows a bad selector as the server\'s message on the field, then generates a key that signs at once', async () => {
    d.expected.push(/status of 400 .*\/api\/v1\/dkim\/generate$/)
    const form = await generate('../x')
    await form.getByText('must not contain ".."', { exact: false }).waitFor()
    await form.getByLabel('Selector').fill('s1')
    await form.getByRole('button', { name: 'Generate key' }).click()
    await form.waitFor({ state: 'detached' })
    await poll(() => status('s1')).toBe('signing')
    expect(await row('s1').innerText()).toContain('RSA 2048')
    await d.w.screenshot('dkim')
  })

  it('copies the exact record name, value and zone-file line to the clipboard', async () => {
    const key = await keyOf('s1')
    expect(key.dns.strings.every(s => Buffer.byteLength(s) <= 255)).toBe(true)
    await row('s1').getByRole('button', { name: `Copy the DNS record of s1 of ${DOMAIN}` }).click()
    const record = d.w.page.getByTestId('dkim-record')
    expect(await record.getByTestId('dkim-record-name').innerText()).toBe(key.dns.name)
    await record.getByRole('button', { name: 'Copy name' }).click()
    await poll(clipboard).toBe(`s1._domainkey.${DOMAIN}`)
    await record.getByRole('button', { name: 'Copy value' }).click()
    await poll(clipboard).toBe(key.dns.value)
    expect(key.dns.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/)
    await record.getByRole('button', { name: 'Copy zone line' }).click()
    await poll(clipboard).toBe(key.dns.zone_line)
    await d.w.screenshot('dkim-record')
    await record.getByRole('button', { name: 'Done' }).click()
    await record.waitFor({ state: 'detached' })
  })

  it('still copies when the Clipboard API refuses (the execCommand fallback)', async () => {
    const key = await keyOf('s1')
    await d.w.page.evaluate(() => {
      Clipboard.prototype.writeText = () => Promise.reject(new DOMException('refused by the test', 'NotAllowedError'))
    })
    await row('s1').getByRole('button', { name: `Copy the DNS record of s1 of ${DOMAIN}` }).click()
    const record = d.w.page.getByTestId('dkim-record')
    await record.getByRole('button', { name: 'Copy zone line' }).click()
    await record.getByRole('button', { name: 'Copied' }).waitFor()
    await poll(clipboard).toBe(key.dns.zone_line)
    await record.getByRole('button', { name: 'Done' }).click()
    await record.waitFor({ state: 'detached' })
    // The page's own Clipboard API again for the tests after this one.
    await d.w.page.reload()
  })

  it('rotates: a second key waits as published, activating it (confirmed) makes it sign and keeps the old one published', async () => {
    const form = await generate('s2')
    await form.waitFor({ state: 'detached' })
    await poll(() => status('s2')).toBe('published')
    await row('s2').getByRole('button', { name: `Activate s2 of ${DOMAIN}` }).click()
    await d.w.page.getByText(`Sign ${DOMAIN}'s mail with s2?`).waitFor()
    await confirmDialog(d.w.page)
    await poll(() => status('s2')).toBe('signing')
    await poll(() => status('s1')).toBe('published')
    // The signing key cannot be deleted from the table.
    expect(await row('s2').getByRole('button', { name: /^Delete / }).count()).toBe(0)
  })

  it('retires the old key after confirmation, then deletes it after confirmation', async () => {
    await row('s1').getByRole('button', { name: `Retire s1 of ${DOMAIN}` }).click()
    await d.w.page.getByText(`Retire s1 of ${DOMAIN}?`).waitFor()
    await confirmDialog(d.w.page)
    await poll(() => status('s1')).toBe('retired')
    expect((await keyOf('s1')).status).toBe('retired')

    await row('s1').getByRole('button', { name: `Delete s1 of ${DOMAIN}` }).click()
    await d.w.page.getByText(`Delete s1 of ${DOMAIN}?`).waitFor()
    await confirmDialog(d.w.page)
    await poll(() => row('s1').count()).toBe(0)
    expect(await keyOf('s1')).toBeUndefined()
    await poll(() => status('s2')).toBe('signing')
  })

  it('generates an Ed25519 key next to the RSA one: no key length to choose, it signs at once and the RSA key keeps signing', async () => {
    const form = await generate('ed1', async (f) => {
      expect(await f.getByText('RSA key length').count()).toBe(1)
      await f.getByRole('radio', { name: 'Ed25519' }).click()
      await f.getByText('RSA key length').waitFor({ state: 'detached' })
    })
    await form.waitFor({ state: 'detached' })
    await poll(() => status('ed1')).toBe('signing')
    expect(await row('ed1').innerText()).toContain('Ed25519')
    expect(await row('ed1').getByTestId('dkim-status').getAttribute('title')).toMatch(/ed25519-sha256/)
    await poll(() => status('s2')).toBe('signing')
    expect((await keyOf('ed1')).dns.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/)
    await d.w.screenshot('dkim-ed25519')
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(d.w.foreign()).toEqual([])
    expect(d.unexpectedErrors()).toEqual([])
  })
})
