import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDashboard, toast, type Dashboard } from '../support/browser'

const OWNER = 'owner'
const PASSWORD = 'first-run-password-42'

let d: Dashboard

describe('the first-run setup wizard in Chromium', () => {
  beforeAll(async () => {
    // A fresh install: config.env without an admin.
    d = await startDashboard({ ADMIN_USER: undefined, ADMIN_PASSWORD_HASH: undefined })
  })

  afterAll(() => d?.close())

  it('sends every page to /setup while setup is incomplete', async () => {
    await d.w.page.goto('/domains')
    await d.w.page.waitForURL(/\/setup$/)
    await d.w.page.getByTestId('setup-form').waitFor()
    await d.w.page.goto('/login')
    await d.w.page.waitForURL(/\/setup$/)
    await d.w.screenshot('setup')
  })

  it('checks the form inline, then sets the admin and sends to /login', async () => {
    const form = d.w.page.getByTestId('setup-form')
    await form.getByLabel('Admin username').fill(OWNER)
    await form.getByLabel('Password', { exact: true }).fill('short')
    await form.getByLabel('Repeat the password').fill('short')
    await form.getByRole('button', { name: 'Finish setup' }).click()
    await form.getByText('must be at least 12 characters').waitFor()

    await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await form.getByLabel('Repeat the password').fill(`${PASSWORD}-typo`)
    await form.getByRole('button', { name: 'Finish setup' }).click()
    await form.getByText('The passwords do not match').waitFor()

    await form.getByLabel('Repeat the password').fill(PASSWORD)
    await form.getByLabel('Mail hostname (optional)').fill('mail.wizard.example')
    await form.getByRole('button', { name: 'Finish setup' }).click()
    await d.w.page.waitForURL(/\/login$/)
    await toast(d.w.page, 'Setup complete; sign in with the new admin account').waitFor()
    const config = readFileSync(join(d.server.root, 'etc/backendside-mailpanel/config.env'), 'utf8')
    expect(config).toContain(`ADMIN_USER='${OWNER}'`)
    expect(config).toContain('MAIL_HOSTNAME=\'mail.wizard.example\'')
    expect(config).not.toContain(PASSWORD)
  })

  it('is gone once setup is complete, and the new admin signs in', async () => {
    await d.w.page.goto('/setup')
    await d.w.page.waitForURL(/\/login$/)
    await d.signIn(d.w.page, OWNER, PASSWORD)
    await d.w.page.waitForURL(u => u.pathname === '/')
    await d.w.page.getByTestId('overview-counts').waitFor()
    await d.w.page.getByTestId('sidebar').getByRole('link', { name: 'Certificates' }).waitFor()
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(d.w.foreign()).toEqual([])
    expect(d.unexpectedErrors()).toEqual([])
  })
})
