import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCREENSHOT_DIR, screenshotOnFailure, startDashboard, type Dashboard, type WatchedPage } from '../support/browser'
import { LEGACY_API_KEY } from '../support/server'

/** The shipped per-IP API limit (SPEC §4): the dashboard must live well inside it. */
const API_RATE_LIMIT = 60
const NAVIGATIONS = 200
/**
 * What ~200 fast tab clicks may cost in API requests: each tab's reads once (cached for 30 s and
 * shared), plus the overview's 10-second refresh. Today it is about 30; the plain per-IP budget of
 * 60/min is the ceiling, the larger signed-in budget (server/middleware/rate-limit.ts) is not needed.
 */
const API_CALL_BUDGET = API_RATE_LIMIT

let d: Dashboard
let w: WatchedPage

const isApiCall = (url: string) => /\/(api\/v1|auth)\//.test(new URL(url).pathname)

describe('the dashboard under fast normal use', () => {
  beforeAll(async () => {
    d = await startDashboard({}, {}, { realLimits: true })
    w = d.w
    // No Postfix or Dovecot runs for this test: the queue and sessions tabs answer 409/503, which the
    // pages show as the server's state (useServiceData) and Chromium still logs as a failed load.
    d.expected.push(/status of (409|503) .* \S+\/api\/v1\/(queue|sessions)(\?|$)/)
    const res = await fetch(`${d.server.url}/api/v1/security/settings`, { headers: { 'x-api-key': LEGACY_API_KEY } })
    expect((await res.json() as { api_rate_limit: number }).api_rate_limit).toBe(API_RATE_LIMIT)
  })

  afterAll(() => d?.close())

  screenshotOnFailure(() => w)

  it(`clicks through the tabs ${NAVIGATIONS} times within its API budget and never meets a 429`, async () => {
    await w.page.goto('/login')
    await d.signIn()
    await w.page.waitForURL(u => u.pathname === '/')
    await w.page.getByTestId('sidebar').getByRole('link', { name: 'Audit log' }).waitFor()
    const tabs = await w.page.getByTestId('sidebar').getByRole('link').all()
    expect(tabs.length).toBeGreaterThanOrEqual(9)
    const before = w.requests.filter(isApiCall).length
    const started = Date.now()
    for (let i = 0; i < NAVIGATIONS; i++) {
      const tab = tabs[(i * 7 + 1) % tabs.length]!
      await tab.click()
      // As fast as a person clicking: the page starts to show, then the next click.
      await w.page.waitForTimeout(100)
    }
    await w.page.waitForLoadState('networkidle')
    const calls = w.requests.filter(isApiCall).length - before
    const seconds = (Date.now() - started) / 1000
    // Left beside the screenshots for the README's figure.
    writeFileSync(join(SCREENSHOT_DIR, 'budget.txt'), `${NAVIGATIONS} navigations in ${seconds.toFixed(1)} s: ${calls} API requests\n`)
    expect(w.responses.filter(r => r.endsWith(' 429'))).toEqual([])
    expect(calls).toBeLessThanOrEqual(API_CALL_BUDGET)

    // The list still shows its rows (or its empty state), not an error.
    await w.page.goto('/domains')
    await w.page.getByTestId('domains-table').getByTestId('empty').waitFor()
    expect(await w.page.getByTestId('table-error').count()).toBe(0)
    expect(d.unexpectedErrors()).toEqual([])
  })
})
