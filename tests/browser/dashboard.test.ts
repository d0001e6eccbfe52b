import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmDialog, DESKTOP, openPage, PHONE, poll, screenshotOnFailure, shareSession, startDashboard, toast, UI_TIMEOUT_MS, type Dashboard, type WatchedPage } from '../support/browser'
import { LEGACY_API_KEY, type TestServer } from '../support/server'

const DOMAIN = `ui${Date.now().toString(36)}.example`

let d: Dashboard
let w: WatchedPage
let server: TestServer

/** The sign-in page, remembering `next` as the page to return to. */
const atLoginWithNext = (next: string) => (u: URL) => u.pathname === '/login' && u.searchParams.get('next') === next

describe('the dashboard in Chromium', () => {
  beforeAll(async () => {
    // The stats collector reads the mail log twice a second here (10 s by default).
    d = await startDashboard({}, { MAILSTATS_INTERVAL_S: '0.5' })
    ;({ w, server } = d)
  })

  afterAll(() => d?.close())

  screenshotOnFailure(() => w)

  it('sends a signed-out visitor to /login and back to the page they asked for, with no console error on the way', async () => {
    await w.page.goto('/domains?x=1')
    await w.page.waitForURL(atLoginWithNext('/domains?x=1'))
    await w.page.getByTestId('login-form').waitFor()
    await w.page.waitForLoadState('networkidle')
    // No session probe that answers 401 (Chromium logs every 4xx as a console error).
    expect(w.errors).toEqual([])
    expect(w.responses.filter(r => r.endsWith(' 401'))).toEqual([])
    expect(await w.page.title()).toBe('Sign in · BackendSide MailPanel')
    await w.screenshot('login')
    const phone = await openPage(d.browser, server.url, PHONE)
    await phone.page.goto('/login')
    await phone.page.getByTestId('login-form').waitFor()
    await phone.screenshot('phone-login')
    await phone.context.close()
    await d.signIn()
    await w.page.waitForURL(/\/domains\?x=1$/)
    await w.page.getByTestId('domains-table').waitFor()
    expect(await w.page.title()).toBe('Domains · BackendSide MailPanel')
  })

  it('refuses an open redirect after sign-in', async () => {
    await w.page.goto('/login?next=//evil.example/')
    await d.signIn()
    await w.page.waitForURL(u => u.pathname === '/' && u.host === new URL(server.url).host)
  })

  it('shows the overview with the mail stats counted from the Postfix log, counts and the empty-allowlist warning', async () => {
    // One authenticated submission, as Postfix logs it, in the file the collector reads.
    const now = new Date().toISOString().replace('Z', '+00:00')
    mkdirSync(join(server.root, 'var/log'), { recursive: true })
    writeFileSync(join(server.root, 'var/log/mail.log'), `${now} mail postfix/submission/smtpd[9]: 5A1B2C3D4E: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=alice@${DOMAIN}\n`)
    await w.page.goto('/')
    await poll(() => w.page.getByTestId('stat-card').count()).toBe(8)
    await poll(() => w.page.getByTestId('stat-card').first().innerText()).toMatch(/Sent \(1 h\)\s+1$/)
    await poll(() => w.page.getByTestId('collector-status').innerText()).toContain('(1 line so far)')
    await w.page.getByTestId('traffic-chart').waitFor()
    await w.page.getByTestId('allowlist-banner').waitFor()
    await w.page.getByTestId('overview-counts').getByText('Domains').waitFor()
    await w.screenshot('overview')
  })

  it('creates a domain, and shows a duplicate name as an inline error', async () => {
    await w.page.goto('/domains')
    await w.page.getByTestId('add-domain').click()
    await w.page.getByLabel('Domain name').fill(DOMAIN)
    await w.page.getByRole('button', { name: 'Add domain' }).last().click()
    await w.page.waitForURL(/\/domains\/\d+$/)
    await w.page.getByTestId('mailboxes-table').waitFor()
    await w.page.goto('/domains')
    await w.page.getByTestId('domains-table').getByText(DOMAIN).waitFor()
    await w.screenshot('domains')

    d.expected.push(/status of 409 .*\/api\/v1\/domains$/)
    await w.page.getByTestId('add-domain').click()
    // Typed and submitted with Enter at once: the answer comes back while the form's own check of
    // the typed value is still pending (UForm debounces it by 300 ms), which used to wipe the error.
    await w.page.getByLabel('Domain name').fill(DOMAIN)
    await w.page.getByLabel('Domain name').press('Enter')
    await w.page.getByTestId('domain-form').getByText('A domain with that name already exists.').waitFor({ timeout: UI_TIMEOUT_MS })
    // …and it stays: nothing re-validates it away once the debounce has passed.
    await w.page.waitForTimeout(500)
    expect(await w.page.getByTestId('domain-form').getByText('A domain with that name already exists.').count()).toBe(1)
    await w.page.keyboard.press('Escape')
  })

  it('creates a mailbox and an alias in the domain, and deletes the alias after confirmation', async () => {
    await w.page.getByTestId('domains-table').getByRole('link', { name: DOMAIN }).click()
    await w.page.getByTestId('add-mailbox').click()
    const mailboxForm = w.page.getByTestId('mailbox-form')
    await mailboxForm.getByLabel('Address').fill('jane')
    await mailboxForm.getByLabel('Display name').fill('Jane Doe')
    await mailboxForm.getByLabel('Password', { exact: true }).fill('mailbox-pass-123')
    await mailboxForm.getByLabel('Repeat').fill('mailbox-pass-124')
    await w.page.getByRole('button', { name: 'Add mailbox' }).last().click()
    await mailboxForm.getByText('The passwords do not match').waitFor()
    // The generator fills both fields with the same random password and shows it.
    await mailboxForm.getByTestId('generate-password').click()
    const generated = await mailboxForm.getByLabel('Password', { exact: true }).inputValue()
    expect(generated).toMatch(/^[a-zA-Z2-9]{20}$/)
    expect(await mailboxForm.getByLabel('Repeat').inputValue()).toBe(generated)
    await poll(() => mailboxForm.getByText('The passwords do not match').count()).toBe(0)
    await w.screenshot('mailbox-create')
    await mailboxForm.getByLabel('Password', { exact: true }).fill('mailbox-pass-123')
    await mailboxForm.getByLabel('Repeat').fill('mailbox-pass-123')
    await w.page.getByRole('button', { name: 'Add mailbox' }).last().click()
    await w.page.getByTestId('mailboxes-table').getByText(`jane@${DOMAIN}`).waitFor()
    await w.screenshot('domain-mailboxes')

    await w.page.getByRole('tab', { name: 'Aliases' }).click()
    await w.page.getByTestId('add-alias').click()
    await w.page.getByLabel('Source').fill('info')
    await w.page.getByLabel('Deliver to').fill(`jane@${DOMAIN}`)
    await w.page.getByRole('button', { name: 'Add alias' }).last().click()
    await w.page.getByTestId('aliases-table').getByText(`info@${DOMAIN}`).waitFor()
    await w.page.getByTestId('add-alias').click()
    await w.page.getByLabel('Source').fill('old')
    await w.page.getByLabel('Deliver to').fill(`jane@${DOMAIN}`)
    await w.page.getByRole('button', { name: 'Add alias' }).last().click()
    await w.page.getByTestId('aliases-table').getByText(`old@${DOMAIN}`).waitFor()
    await w.screenshot('domain-aliases')

    await w.page.getByRole('button', { name: `Delete old@${DOMAIN}` }).click()
    await w.page.getByText(`Delete old@${DOMAIN}?`).waitFor()
    await confirmDialog(w.page)
    await poll(() => w.page.getByTestId('aliases-table').getByText(`old@${DOMAIN}`).count()).toBe(0)

    await w.page.getByRole('tab', { name: 'Settings' }).click()
    await w.page.getByTestId('dns-records').getByText('IN MX').waitFor()
    await w.screenshot('domain-settings')

    // The domains table counts what the domain holds now: one mailbox, one alias (the other was deleted).
    await w.page.goto(`${server.url}/domains`)
    const row = w.page.getByTestId('domains-table').getByRole('row').filter({ hasText: DOMAIN })
    await poll(async () => (await row.getByRole('cell').allInnerTexts()).map(t => t.trim())).toEqual(expect.arrayContaining([DOMAIN, '1', '1']))
    await w.screenshot('domains-counts')
    await row.getByRole('link', { name: DOMAIN }).click()
    await w.page.waitForURL(/\/domains\/\d+/)
  })

  it('changes a mailbox limit and shows the new effective value and its source', async () => {
    await w.page.getByRole('tab', { name: 'Mailboxes' }).click()
    await w.page.getByTestId('mailboxes-table').getByRole('link', { name: `jane@${DOMAIN}` }).click()
    await w.page.waitForURL(/\/mailboxes\/\d+/)
    await w.page.getByTestId('effective-limits').waitFor()
    await w.screenshot('mailbox-overview')

    await w.page.getByRole('tab', { name: 'Limits' }).click()
    const effective = w.page.getByTestId('effective-daily_send_limit').last()
    const before = await effective.innerText()
    expect(await w.page.getByTestId('source-daily_send_limit').last().innerText()).toBe('from server')
    await w.page.getByTestId('inherit-daily_send_limit').click()
    await w.page.getByTestId('limit-daily_send_limit').fill('250')
    await w.page.getByTestId('save-limits').click()
    await poll(() => effective.innerText()).toBe('250')
    expect(before).not.toBe('250')
    expect(await w.page.getByTestId('source-daily_send_limit').last().innerText()).toBe('from mailbox')

    // Sizes are typed in KB/MB/GB and stored in the API's units (bytes; MB for the quota).
    await w.page.getByTestId('inherit-max_message_size').click()
    await w.page.getByTestId('limit-max_message_size').fill('30')
    await w.page.getByTestId('inherit-quota_mb').click()
    await w.page.getByLabel('Mailbox quota unit').click()
    await w.page.getByRole('option', { name: 'GB' }).click()
    await w.page.getByTestId('limit-quota_mb').fill('1.5')
    await w.page.getByTestId('save-limits').click()
    await poll(() => w.page.getByTestId('effective-max_message_size').last().innerText()).toBe('30 MB')
    const mailboxId = Number(new URL(w.page.url()).pathname.split('/').pop())
    const config = await (await fetch(`${server.url}/api/v1/mailboxes/${mailboxId}/config`, { headers: { 'x-api-key': LEGACY_API_KEY } })).json() as Record<string, unknown>
    expect(config.max_message_size).toBe(30 * 1024 * 1024)
    expect(config.quota_mb).toBe(1536)
    expect(await w.page.getByTestId('effective-quota_mb').last().innerText()).toBe('1.5 GB')
    await w.screenshot('mailbox-limits')

    await w.page.getByRole('tab', { name: 'Settings' }).click()
    const passwordForm = w.page.getByTestId('password-form')
    await passwordForm.getByLabel('New password').fill('another-pass-456')
    await passwordForm.getByLabel('Repeat').fill('another-pass-457')
    await w.page.getByRole('button', { name: 'Set password' }).click()
    await passwordForm.getByText('The passwords do not match').waitFor()
    await passwordForm.getByLabel('Repeat').fill('another-pass-456')
    await w.page.getByRole('button', { name: 'Set password' }).click()
    await toast(w.page, 'Password changed').waitFor()
    await w.screenshot('mailbox-settings')
  })

  it('mints a token that is shown once, and revokes it after confirmation', async () => {
    await w.page.goto('/tokens')
    await w.page.getByTestId('tokens-table').getByText('No tokens yet.').waitFor()
    await w.page.getByTestId('add-token').click()
    await w.page.getByLabel('Name').fill('ci-deploy')
    await w.page.getByRole('button', { name: 'Create token' }).click()
    const token = await w.page.getByTestId('new-token').innerText()
    expect(token).toMatch(/^bsmp_[\w-]{43}$/)
    await w.page.getByText('This is the only time the token is shown').waitFor()
    await w.screenshot('token-created')
    await w.page.getByRole('button', { name: 'I have stored it' }).click()
    await w.page.getByTestId('tokens-table').getByText('ci-deploy').waitFor()
    await w.page.getByTestId('new-token').waitFor({ state: 'detached' })
    expect(await w.page.content()).not.toContain(token)

    await w.page.getByRole('button', { name: 'Revoke ci-deploy' }).click()
    await confirmDialog(w.page)
    await w.page.getByTestId('tokens-table').getByText('No tokens yet.').waitFor()
    const res = await fetch(`${server.url}/api/v1/me`, { headers: { 'x-api-key': token } })
    expect(res.status).toBe(401)
  })

  it('shows the audit entries of what was just done', async () => {
    await w.page.goto('/audit')
    const table = w.page.getByTestId('audit-table')
    await table.getByText('POST /api/v1/admin/tokens').first().waitFor()
    await table.getByText('DELETE /api/v1/admin/tokens/:id').first().waitFor()
    await table.getByText('POST /api/v1/domains').first().waitFor()
    await table.getByText('PUT /api/v1/mailboxes/:id/config').first().waitFor()
    // People read what was done; the route stays beside it as the detail.
    for (const label of ['Created API token', 'Revoked API token', 'Created domain', 'Created mailbox', 'Deleted alias', 'Changed mailbox limits', 'Reset mailbox password']) {
      await table.getByTestId('audit-action').getByText(label, { exact: true }).first().waitFor()
    }
    await w.screenshot('audit')
  })

  it('shows a failed list load as an error, never as an empty list', async () => {
    // An outage of one list endpoint, simulated in the browser (every other request goes through).
    await w.page.route(/\/api\/v1\/domains\?/, route => route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'Database unavailable', detail: 'The database is not reachable; try again shortly.', code: 'DATABASE_UNAVAILABLE' }),
    }))
    d.expected.push(/status of 503 .*\/api\/v1\/domains\?/)
    try {
      await w.page.goto('/domains')
      await w.page.getByTestId('table-error').getByText('The database is not reachable').waitFor()
      expect(await w.page.getByTestId('domains-table').getByText('No domains yet').count()).toBe(0)
      expect(await w.page.getByTestId('empty').count()).toBe(0)
      expect(await w.page.getByText('Nothing yet').count()).toBe(0)
      await w.screenshot('domains-error')
    }
    finally {
      await w.page.unroute(/\/api\/v1\/domains\?/)
    }
  })

  it('says "no tokens yet" once, and keeps the allowlist warning to one dismissible line', async () => {
    await w.page.goto('/tokens')
    await w.page.getByTestId('tokens-table').getByText('No tokens yet.').waitFor()
    expect(await w.page.getByText(/nothing yet|no tokens yet/i).count()).toBe(1)
    const banner = w.page.getByTestId('allowlist-banner')
    await banner.waitFor()
    expect((await banner.boundingBox())!.height).toBeLessThanOrEqual(44)
    await w.page.getByTestId('dismiss-allowlist-banner').click()
    await banner.waitFor({ state: 'detached' })
    await w.page.goto('/webhooks')
    await w.page.getByTestId('webhooks-table').waitFor()
    expect(await banner.count()).toBe(0)
    // A new browser session warns again.
    const other = await openPage(d.browser, server.url, DESKTOP)
    await shareSession(w, other)
    await other.page.goto('/tokens')
    await other.page.getByTestId('allowlist-banner').waitFor()
    await other.context.close()
  })

  it('serves the full variable Inter, so Cyrillic, Greek and Vietnamese render in Inter', async () => {
    const font = await fetch(`${server.url}/ui/fonts/InterVariable.woff2`)
    expect(font.status).toBe(200)
    // The whole font is ~344 KB; the Latin subset it replaced was 48 KB.
    expect((await font.arrayBuffer()).byteLength).toBeGreaterThan(300_000)
    const widths = await w.page.evaluate(async () => {
      const sample = 'Жизнь Ωμέγα Tiếng Việt'
      await document.fonts.load('16px "Inter Variable"', sample)
      const ctx = document.createElement('canvas').getContext('2d')!
      const width = (family: string) => {
        ctx.font = `16px ${family}`
        return ctx.measureText(sample).width
      }
      return { inter: width('"Inter Variable", monospace'), fallback: width('monospace') }
    })
    // A script Inter lacked would fall back to monospace and measure the same.
    expect(Math.abs(widths.inter - widths.fallback)).toBeGreaterThan(5)
  })

  it('serves both PNG logos at their documented URLs, the square one as the favicon', async () => {
    for (const name of ['backendside-emailserver-rectangle-logo.png', 'backendside-email-server-logo.png']) {
      const res = await fetch(`${server.url}/ui/img/${name}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/png')
    }
    expect(await w.page.locator('link[rel="icon"]').getAttribute('href')).toBe('/ui/img/backendside-email-server-logo.png')
  })

  it('renders the security, webhooks and mail server tabs and the About modal', async () => {
    await w.page.goto('/security')
    const access = w.page.getByTestId('access-form')
    await access.waitFor()
    await w.screenshot('security')
    // The private ranges webhooks may reach are edited beside the other address lists.
    await access.getByLabel('Private webhook ranges').fill('10.20.0.0/16')
    await access.getByRole('button', { name: 'Save access settings' }).click()
    await toast(w.page, 'Security settings updated').waitFor()
    const saved = await fetch(`${server.url}/api/v1/security/settings`, { headers: { 'x-api-key': LEGACY_API_KEY } })
    expect(await saved.json()).toMatchObject({ webhook_allowed_ranges: ['10.20.0.0/16'], admin_login_whitelist: [] })
    // Checked in the page before anything is sent (a sent change would end this session).
    const adminPassword = w.page.getByTestId('admin-password-form')
    await adminPassword.getByLabel('New password').fill('a-new-admin-password-1')
    await adminPassword.getByLabel('Repeat').fill('a-new-admin-password-2')
    await w.page.getByRole('button', { name: 'Change password' }).click()
    await adminPassword.getByText('The passwords do not match').waitFor()
    await w.page.goto('/webhooks')
    await w.page.getByTestId('webhooks-table').getByText('No webhooks yet.').waitFor()
    await w.screenshot('webhooks')
    await w.page.goto('/mail-server')
    await w.page.getByTestId('limits-server').waitFor()
    // Without a managed mail stack the last run did nothing: grey "not managed", never a green "ok".
    const reconcile = await (await fetch(`${server.url}/api/v1/reconcile/status`, { headers: { 'x-api-key': LEGACY_API_KEY } })).json() as { last_run: { notes: string[] } | null }
    if (reconcile.last_run?.notes.some(n => n.startsWith('the mail stack is not managed'))) {
      await poll(() => w.page.getByTestId('reconcile-outcome').innerText()).toBe('not managed')
    }
    await w.screenshot('mail-server')
    await w.page.getByTestId('about').click()
    const about = w.page.getByTestId('about-details')
    await about.getByText('0.1.0').waitFor()
    expect(await w.page.getByTestId('about-badge').getAttribute('src')).toBe('/ui/img/backendside-email-server-logo.png')
    expect(await about.innerText()).toMatch(/Postfix\s+(\d+\.\d+|not installed)/)
    await w.screenshot('about')
    await w.page.keyboard.press('Escape')
  })

  it('pages through a list longer than one page', async () => {
    const headers = { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/json' }
    for (let i = 0; i < 26; i++) {
      const res = await fetch(`${server.url}/api/v1/admin/tokens`, { method: 'POST', headers, body: JSON.stringify({ name: `paging-${i}` }) })
      expect(res.status).toBe(201)
    }
    const { meta } = await (await fetch(`${server.url}/api/v1/admin/tokens`, { headers })).json() as { meta: { total: number } }
    await w.page.goto('/tokens')
    await w.page.getByText(`Showing 1–25 of ${meta.total}`).waitFor()
    await w.page.getByRole('button', { name: 'Page 2', exact: true }).click()
    await w.page.getByText(`Showing 26–${meta.total} of ${meta.total}`).waitFor()
    expect(await w.page.getByTestId('tokens-table').locator('tbody tr').count()).toBe(meta.total - 25)
  })

  it('collapses the sidebar into a menu at phone width', async () => {
    const phone = await openPage(d.browser, server.url, PHONE)
    await shareSession(w, phone)
    await phone.page.goto('/domains')
    await phone.page.getByTestId('domains-table').getByText(DOMAIN).waitFor()
    expect(await phone.page.getByTestId('sidebar').isVisible()).toBe(false)
    await phone.screenshot('phone-domains')
    await phone.page.getByRole('button', { name: /open|menu/i }).first().click()
    await phone.page.getByRole('link', { name: 'Audit log' }).waitFor()
    // let the slide-in finish before the screenshot
    await phone.page.waitForTimeout(500)
    await phone.screenshot('phone-menu')
    expect(phone.foreign()).toEqual([])
    expect(phone.errors).toEqual([])
    await phone.context.close()
  })

  it('signs out; the dashboard then asks for sign-in again', async () => {
    await w.page.goto('/')
    await w.page.getByTestId('sign-out').click()
    await w.page.waitForURL(/\/login$/)
    await w.page.goto('/tokens')
    await w.page.waitForURL(atLoginWithNext('/tokens'))
  })

  it('made no request to another origin and logged no unexpected console error', () => {
    expect(w.requests.length).toBeGreaterThan(20)
    expect(w.foreign()).toEqual([])
    expect(w.requests.some(u => u.endsWith('/ui/fonts/InterVariable.woff2'))).toBe(true)
    expect(d.unexpectedErrors()).toEqual([])
  })
})
