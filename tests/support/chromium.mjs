// Chromium as every browser check launches it (tests/support/browser.ts, the scale bench): Debian's
// build, headless, and no background traffic of its own, so the request log holds only what the page asked for.
import { chromium } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}
