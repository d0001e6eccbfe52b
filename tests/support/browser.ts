import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterEach, expect } from 'vitest'
import { CHROMIUM, launchBrowser } from './chromium.mjs'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from './server'

export { CHROMIUM, launchBrowser }
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results/screenshots')
export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }
/**
 * How long the UI may take to show the result of an action: a save is a PUT and one or two GETs,
 * which on a loaded 2-core machine can take seconds. (expect.poll's own default is 1 s.)
 */
export const UI_TIMEOUT_MS = 15_000

/** Polls `read` until it matches, for up to UI_TIMEOUT_MS. */
export const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: UI_TIMEOUT_MS, interval: 100 })

/**
 * A toast by its exact title. Not getByText(title): two animation frames after a toast opens, Reka
 * adds a hidden aria-live announcer "Notification <title>", and a substring match finds both.
 */
export const toast = (page: Page, title: string) => page.getByText(title, { exact: true })

export interface WatchedPage {
  page: Page
  context: BrowserContext
  /** console errors and uncaught page errors, with the URL they came from */
  errors: { text: string, url: string }[]
  /** every request URL the page made */
  requests: string[]
  /** "METHOD url status" of every response, for the failure log */
  responses: string[]
  /** requests to any origin other than the panel's */
  foreign: () => string[]
  screenshot: (name: string) => Promise<string>
}

/** A fresh browser context (own cookie jar) on the panel, recording console errors and every request. */
export async function openPage(browser: Browser, baseUrl: string, viewport = DESKTOP): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl })
  const page = await context.newPage()
  const origin = new URL(baseUrl).origin
  const errors: WatchedPage['errors'] = []
  const requests: string[] = []
  const responses: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: msg.text(), url: msg.location().url })
  })
  page.on('pageerror', err => errors.push({ text: `${err.name}: ${err.message}`, url: page.url() }))
  page.on('request', req => requests.push(req.url()))
  page.on('response', res => responses.push(`${res.request().method()} ${res.url()} ${res.status()}`))
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return {
    page,
    context,
    errors,
    requests,
    responses,
    foreign: () => requests.filter(u => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin),
    screenshot: async (name: string) => {
      const path = join(SCREENSHOT_DIR, `${name}.png`)
      await page.screenshot({ path, fullPage: false })
      return path
    },
  }
}

export interface Dashboard {
  server: TestServer
  browser: Browser
  /** The desktop page (1280×800) every test file drives. */
  w: WatchedPage
  /** Console errors a test provokes on purpose (a 4xx answer is logged by Chromium as one). */
  expected: RegExp[]
  unexpectedErrors: () => WatchedPage['errors']
  signIn: (page?: Page, username?: string, password?: string) => Promise<void>
  close: () => Promise<void>
}

/**
 * A built server on a throw-away database, and Chromium on it (not yet signed in). Rate limits are
 * raised unless `realLimits` (the dashboard's own budget is tested with the shipped defaults).
 */
export async function startDashboard(config: Record<string, string | undefined> = {}, env: Record<string, string> = {}, opts: { realLimits?: boolean } = {}): Promise<Dashboard> {
  const db = await createTestDatabase()
  const server = await startServer({ root: await makeRoot(config), databaseUrl: db.url, env })
  if (!opts.realLimits) await raiseRateLimits(server.url)
  const browser = await launchBrowser()
  const w = await openPage(browser, server.url, DESKTOP)
  // None by default: a signed-out visit no longer probes the session (composables/useSession.ts).
  const expected: RegExp[] = []
  return {
    server,
    browser,
    w,
    expected,
    unexpectedErrors: () => w.errors.filter(e => !expected.some(re => re.test(`${e.text} ${e.url}`))),
    async signIn(page = w.page, username = ADMIN_USER, password = ADMIN_PASSWORD) {
      await page.getByLabel('Username').fill(username)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
    },
    async close() {
      await browser.close()
      await server.stop()
      removeRoot(server.root)
      await db.drop()
    },
  }
}

/** Another browser context signed in as `from` is: its session cookie (HttpOnly: the page asks GET /auth/session). */
export async function shareSession(from: WatchedPage, to: WatchedPage) {
  await to.context.addCookies(await from.context.cookies())
}

/** Confirms the open confirmation dialog and waits until it has closed (the action succeeded). */
export async function confirmDialog(page: Page) {
  await page.getByTestId('confirm').click()
  await page.getByTestId('confirm').waitFor({ state: 'detached' })
}

/**
 * Call inside a describe: a failing test leaves what the page showed (`failed-<test>.png`) and, beside
 * it, the page's last responses and console errors (`failed-<test>.log`).
 */
export function screenshotOnFailure(page: () => WatchedPage | undefined) {
  afterEach(async (ctx) => {
    const w = page()
    if (ctx.task.result?.state !== 'fail' || !w) return
    const name = `failed-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}`
    await w.screenshot(name)
    const log = [...w.responses.slice(-30), '--- console errors', ...w.errors.map(e => `${e.text} ${e.url}`)]
    writeFileSync(join(SCREENSHOT_DIR, `${name}.log`), `${log.join('\n')}\n`)
  })
}
