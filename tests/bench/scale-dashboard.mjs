// The dashboard at the bench's size (issue 14: "the mailbox and domain lists stay responsive"):
// headless Chromium signs in, opens the domain list, searches it, opens a domain's mailboxes and
// searches those; each step is timed from the action to its rows on screen. Every API call the page
// makes is logged: a list read asking for more than one page (limit > 100) is a full load.
import { launchBrowser } from '../support/chromium.mjs'

const MAX_PAGE = 100

export async function measureDashboard(url, { user, password, domain, mailbox }) {
  const browser = await launchBrowser()
  try {
    const page = await (await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } })).newPage()
    const reads = []
    page.on('request', (req) => {
      const u = new URL(req.url())
      if (u.pathname.startsWith('/api/v1/')) reads.push(u)
    })
    const timed = async (action, done) => {
      const started = performance.now()
      await action()
      await done()
      return Math.round(performance.now() - started)
    }
    const rows = name => page.getByTestId(`${name}-table`).locator('tbody tr')
    await page.goto('/login')
    await page.getByLabel('Username').fill(user)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(u => u.pathname === '/')
    const steps = {}
    steps['domains: open the list'] = await timed(() => page.goto('/domains'), () => rows('domains').first().waitFor())
    steps['domains: search one'] = await timed(
      () => page.getByPlaceholder('Search domains').fill(domain),
      () => page.getByTestId('domains-table').getByRole('link', { name: domain, exact: true }).waitFor(),
    )
    steps['domain: open, its mailboxes listed'] = await timed(
      () => page.getByTestId('domains-table').getByRole('link', { name: domain, exact: true }).click(),
      () => rows('mailboxes').nth(9).waitFor(),
    )
    steps['mailboxes: search one'] = await timed(
      () => page.getByPlaceholder('Search mailboxes').fill(mailbox),
      () => page.waitForFunction(n => document.querySelectorAll('[data-testid="mailboxes-table"] tbody tr').length === n, 1),
    )
    const fullLoads = reads.filter(u => Number(u.searchParams.get('limit') ?? 0) > MAX_PAGE).map(u => `${u.pathname}${u.search}`)
    return { steps, apiCalls: reads.length, fullLoads }
  }
  finally {
    await browser.close()
  }
}
