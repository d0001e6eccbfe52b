import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results/screenshots')
export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }

// No background traffic of Chromium's own, so the request log holds only what the page asked for.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}

export interface WatchedPage {
  page: Page
  context: BrowserContext
  /** console errors and uncaught page errors, with the URL they came from */
  errors: { text: string, url: string }[]
  /** every request URL the page made */
  requests: string[]
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
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: msg.text(), url: msg.location().url })
  })
  page.on('pageerror', err => errors.push({ text: `${err.name}: ${err.message}`, url: page.url() }))
  page.on('request', req => requests.push(req.url()))
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return {
    page,
    context,
    errors,
    requests,
    foreign: () => requests.filter(u => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin),
    screenshot: async (name: string) => {
      const path = join(SCREENSHOT_DIR, `${name}.png`)
      await page.screenshot({ path, fullPage: false })
      return path
    },
  }
}
