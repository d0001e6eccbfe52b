import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmDialog, poll, startDashboard, type Dashboard } from '../support/browser'
import { freePort } from '../support/server'
import { testPki } from '../support/tls'

const HOST = 'mail.ui-tls.example'
const DAY_MS = 86_400_000
const pki = testPki()

let d: Dashboard
let acmeDir: string

const row = (text: string) => d.w.page.getByTestId('certificates-table').getByRole('row').filter({ hasText: text })

describe('the certificates tab in Chromium', () => {
  beforeAll(async () => {
    // certbot is real but its ACME server (cli.ini, found through XDG_CONFIG_HOME) is a local port
    // nobody listens on: an issue fails fast with certbot's own words and never leaves this machine.
    acmeDir = mkdtempSync(join(tmpdir(), 'mailpanel-acme-'))
    mkdirSync(join(acmeDir, 'letsencrypt'))
    writeFileSync(join(acmeDir, 'letsencrypt/cli.ini'), `server = https://127.0.0.1:${await freePort()}/dir\n`)
    d = await startDashboard({ MAIL_HOSTNAME: HOST }, { XDG_CONFIG_HOME: acmeDir })
    await d.w.page.goto('/certificates')
    await d.signIn()
  })

  afterAll(async () => {
    await d?.close()
    rmSync(acmeDir, { recursive: true, force: true })
    pki.cleanup()
  })

  it('lists the self-signed day-0 certificate as the active one', async () => {
    await row('self-signed (day 0)').getByTestId('active-badge').waitFor()
    expect(await row('self-signed (day 0)').innerText()).toContain(HOST)
  })

  it('shows an upload problem inline, then uploads a chain (key from a file) that becomes active', async () => {
    const leaf = pki.ca.issue({ names: [HOST, `imap.${HOST}`] })
    d.expected.push(/status of 400 .*\/api\/v1\/certificates$/)
    await d.w.page.getByTestId('upload-certificate').click()
    const form = d.w.page.getByTestId('certificate-upload-form')
    // The key pasted into the certificate field: the API names the field, the form shows it there.
    await form.getByLabel('Certificate chain').fill(leaf.key)
    await form.getByLabel('Private key').fill(leaf.key)
    await form.getByRole('button', { name: 'Upload' }).click()
    await form.getByText('contains a private key; send it as private_key').waitFor()

    await form.getByLabel('Certificate chain').fill(`${leaf.cert}${pki.ca.cert}`)
    const keyFile = join(pki.dir, 'upload-key.pem')
    writeFileSync(keyFile, leaf.key)
    await form.getByTestId('file-private-key').setInputFiles(keyFile)
    await poll(() => form.getByLabel('Private key').inputValue()).toBe(leaf.key)
    await d.w.screenshot('certificate-upload')
    await form.getByRole('button', { name: 'Upload' }).click()
    await form.waitFor({ state: 'detached' })
    await row('uploaded').getByTestId('active-badge').waitFor()
    expect(await row('self-signed (day 0)').getByTestId('active-badge').count()).toBe(0)
    expect(await row('uploaded').innerText()).toContain(`imap.${HOST}`)
    expect(await row('uploaded').getByTestId('expiry').innerText()).toMatch(/^in (89|90) days$/)
  })

  it('marks a certificate that expires within three weeks in the warning colour', async () => {
    const soon = pki.ca.issue({ names: [`old.${HOST}`], from: new Date(Date.now() - 60 * DAY_MS), to: new Date(Date.now() + 10 * DAY_MS + 3_600_000) })
    await d.w.page.getByTestId('upload-certificate').click()
    const form = d.w.page.getByTestId('certificate-upload-form')
    await form.getByLabel('Certificate chain').fill(soon.cert)
    await form.getByLabel('Private key').fill(soon.key)
    await form.getByLabel('Hostname').fill(`old.${HOST}`)
    await form.getByRole('button', { name: 'Upload' }).click()
    const expiry = row(`old.${HOST}`).getByTestId('expiry')
    await poll(() => expiry.innerText()).toBe('in 10 days')
    expect(await expiry.getAttribute('class')).toMatch(/\btext-warning\b/)
    expect(await row('uploaded').first().getByTestId('expiry').getAttribute('class')).toMatch(/\btext-success\b/)
    // The newest valid one stays active: this one is older.
    expect(await row(`old.${HOST}`).getByTestId('active-badge').count()).toBe(0)
    await d.w.screenshot('certificates')
  })

  it('refuses to delete the active certificate with a clear message, and deletes another after confirmation', async () => {
    d.expected.push(/status of 409 .*\/api\/v1\/certificates\/\d+$/)
    const active = d.w.page.getByTestId('certificates-table').getByRole('row').filter({ has: d.w.page.getByTestId('active-badge') })
    await active.getByRole('button', { name: /^Delete certificate/ }).click()
    await d.w.page.getByTestId('confirm').click()
    await d.w.page.getByRole('dialog').getByText('Postfix, Dovecot and the panel serve this certificate', { exact: false }).waitFor()
    await d.w.screenshot('certificate-delete-active')
    await d.w.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    // The table is hidden from the accessibility tree until the dialog has gone.
    await poll(() => active.count()).toBe(1)

    await row(`old.${HOST}`).getByRole('button', { name: /^Delete certificate/ }).click()
    await confirmDialog(d.w.page)
    await poll(() => row(`old.${HOST}`).count()).toBe(0)
  })

  it('issues through certbot: a bad hostname inline, certbot\'s own error text on 502', async () => {
    d.expected.push(/status of 400 .*\/api\/v1\/certificates\/issue$/, /status of 502 .*\/api\/v1\/certificates\/issue$/)
    await d.w.page.getByTestId('issue-certificate').click()
    const form = d.w.page.getByTestId('certificate-issue-form')
    await form.getByLabel('HTTP port').waitFor()
    await form.getByRole('radio', { name: 'webroot' }).click()
    expect(await form.getByLabel('HTTP port').count()).toBe(0)
    await form.getByLabel('Hostname').fill('localhost')
    await form.getByRole('button', { name: 'Issue certificate' }).click()
    await form.getByText('must be a fully qualified name').waitFor()

    await form.getByLabel('Hostname').fill(`www.${HOST}`)
    await form.getByRole('button', { name: 'Issue certificate' }).click()
    const error = form.getByTestId('issue-error')
    await error.getByText('certbot failed').waitFor({ timeout: 90_000 })
    expect(await error.innerText()).toMatch(/certbot certonly exited with code 1: .*127\.0\.0\.1/s)
    await d.w.screenshot('certificate-issue-failed')
    await d.w.page.keyboard.press('Escape')
    await form.waitFor({ state: 'detached' })
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(d.w.foreign()).toEqual([])
    expect(d.unexpectedErrors()).toEqual([])
  })
})

describe('the certificates tab without certbot installed', () => {
  let bare: Dashboard
  let bin: string

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'mailpanel-bin-'))
    bare = await startDashboard({ MAIL_HOSTNAME: HOST }, { PATH: bin })
    await bare.w.page.goto('/certificates')
    await bare.signIn()
  })

  afterAll(async () => {
    await bare?.close()
    rmSync(bin, { recursive: true, force: true })
  })

  it('says certbot is missing and which package to install (409 CAPABILITY_MISSING)', async () => {
    bare.expected.push(/status of 409 .*\/api\/v1\/certificates\/issue$/)
    await bare.w.page.getByTestId('certificates-table').getByText('No certificates yet.').waitFor()
    await bare.w.page.getByTestId('issue-certificate').click()
    const form = bare.w.page.getByTestId('certificate-issue-form')
    await form.getByLabel('Hostname').fill(HOST)
    await form.getByRole('button', { name: 'Issue certificate' }).click()
    const error = form.getByTestId('issue-error')
    await error.getByText('certbot is not installed').waitFor()
    expect(await error.innerText()).toContain('apt-get install certbot')
    expect(bare.unexpectedErrors()).toEqual([])
  })
})
