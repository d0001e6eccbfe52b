import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, toast, type Dashboard } from '../support/browser'
import { freePorts } from '../support/server'
import { askStandin, installWebmailStandin, killStandin, webmailFiles } from '../support/webmail'

// The Webmail tab against the stand-in companion (tests/support/webmail-standin.mjs), which the test
// installs into the server's root halfway: before that the tab must not be listed.
let d: Dashboard
let port: number
const page = () => d.w.page
const nav = () => page().getByTestId('sidebar').getByRole('link', { name: 'Webmail' })
const rows = () => page().getByTestId('webmail-server-row')
const configText = () => readFileSync(webmailFiles(d.server.root).config, 'utf8')
const state = () => page().getByTestId('webmail-state').innerText()

describe('the Webmail tab in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    ;[port] = await freePorts(1) as [number]
  })

  afterAll(async () => {
    if (d) killStandin(d.server.root)
    await d?.close()
  })

  screenshotOnFailure(() => d?.w)

  it('is not in the sidebar while BackendSide WebMail is not installed', async () => {
    await page().goto('/')
    await d.signIn()
    await page().getByTestId('sidebar').getByRole('link', { name: 'Overview' }).waitFor()
    // The probe has answered (installed: false) before the sidebar is judged.
    await poll(async () => d.w.responses.some(r => /\/api\/v1\/webmail\/status 200$/.test(r))).toBe(true)
    expect(await nav().count()).toBe(0)
    await page().goto('/webmail')
    await page().getByTestId('webmail-missing').getByText('BackendSide WebMail is not installed on this server').waitFor()
  })

  it('appears once it is installed, showing the service stopped', async () => {
    installWebmailStandin(d.server.root)
    await page().goto('/')
    await nav().click()
    await page().waitForURL(/\/webmail$/)
    await poll(state).toBe('Stopped')
    expect(await page().getByTestId('webmail-version').innerText()).toBe('backendside-webmail 0.0.0-standin')
    expect(await page().getByTestId('webmail-start').isEnabled()).toBe(true)
    expect(await page().getByTestId('webmail-stop').isDisabled()).toBe(true)
    expect(await page().getByTestId('webmail-secret').innerText()).toBe('made at the first save')
  })

  it('the form checks input inline, adds and deletes server rows, and saves the file', async () => {
    await page().getByTestId('webmail-port').fill('70000')
    await page().getByRole('button', { name: 'Save settings' }).click()
    await page().getByText('must be a port from 1 to 65535').waitFor()
    await page().getByTestId('webmail-port').fill(String(port))

    await page().getByTestId('webmail-add-server').click()
    await page().getByTestId('webmail-add-server').click()
    await poll(() => rows().count()).toBe(2)
    await page().getByLabel('Server 1 name').fill('Main')
    await page().getByLabel('Server 1 host').fill('mail.example.com')
    await page().getByLabel('Server 2 name').fill('Old box')
    await page().getByLabel('Server 2 host').fill('bad host\nname')
    await page().getByRole('button', { name: 'Save settings' }).click()
    await rows().nth(1).getByText('must be a hostname such as mail.example.com or an IP address').waitFor()
    await page().getByLabel('Server 2 host').fill('192.0.2.25')
    await page().getByTestId('webmail-allow_custom_server').click()
    await page().getByRole('button', { name: 'Save settings' }).click()
    await toast(page(), 'Webmail settings saved').waitFor()
    expect(configText()).toContain(`listen_port: ${port}`)
    expect(configText()).toContain('allow_custom_server: true')
    expect(configText()).toContain('host: 192.0.2.25')
    await poll(() => page().getByTestId('webmail-secret').innerText()).toMatch(/^set · fingerprint [0-9a-f]{12}$/)

    await page().getByRole('button', { name: 'Delete server 1' }).click()
    await poll(() => rows().count()).toBe(1)
    expect(await page().getByLabel('Server 1 name').inputValue()).toBe('Old box')
    await page().getByRole('button', { name: 'Save settings' }).click()
    await poll(async () => configText().includes('name: Main')).toBe(false)
    expect(configText()).toContain('name: Old box')
    await d.w.screenshot('webmail')
  })

  it('start and stop change what the buttons offer, and the log shows the companion\'s lines', async () => {
    await page().getByTestId('webmail-start').click()
    await toast(page(), 'Webmail started').waitFor()
    await poll(state).toBe('Running')
    expect(await page().getByTestId('webmail-start').isDisabled()).toBe(true)
    expect(await page().getByTestId('webmail-stop').isEnabled()).toBe(true)
    expect(await askStandin(port)).toMatchObject({ listen_port: port, allow_custom_server: true })
    await page().getByTestId('log-lines').getByText(`listening on 127.0.0.1:${port}`).waitFor()

    await page().getByTestId('webmail-stop').click()
    await page().getByText('Stop webmail?').waitFor()
    await confirmDialog(page())
    await poll(state).toBe('Stopped')
    expect(await page().getByTestId('webmail-start').isEnabled()).toBe(true)
    expect(await askStandin(port)).toBeNull()
    await page().getByTestId('log-lines').getByText('SIGTERM: stopping').waitFor()
  })

  it('Regenerate asks first, then shows a new fingerprint that the restarted companion has', async () => {
    const before = await page().getByTestId('webmail-secret').innerText()
    await page().getByTestId('webmail-regen').click()
    await page().getByText('Regenerate the session secret?').waitFor()
    await page().getByRole('button', { name: 'Cancel' }).click()
    expect(await page().getByTestId('webmail-secret').innerText()).toBe(before)

    await page().getByTestId('webmail-regen').click()
    await confirmDialog(page())
    await poll(() => page().getByTestId('webmail-secret').innerText()).not.toBe(before)
    const fingerprint = (await page().getByTestId('webmail-secret').innerText()).split(' ').at(-1)

    await page().getByTestId('webmail-start').click()
    await poll(state).toBe('Running')
    expect((await askStandin(port))?.session_secret_fingerprint).toBe(fingerprint)
    await page().getByTestId('webmail-restart').click()
    await confirmDialog(page())
    await toast(page(), 'Webmail restarted').waitFor()
    expect(await askStandin(port)).toMatchObject({ session_secret_fingerprint: fingerprint })
    expect(d.unexpectedErrors()).toEqual([])
    expect(d.w.foreign()).toEqual([])
  })
})
