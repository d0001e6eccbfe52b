#!/usr/bin/env node
// `npm run bench:frontend` (after `npx nuxt build`): signs in with headless Chromium, then loads `/`
// in a fresh tab and reports what the first load of the dashboard costs: JS + CSS bytes on the wire
// (compressed size from CDP's encodedDataLength) against the 250 KB aim, and the time until the
// overview's data is on screen. Median of RUNS cold loads (browser cache disabled).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import { chromium } from 'playwright-core'
import { benchMain, createDatabase, machine, makeRoot, printMachine, printTable, SERVER_ENTRY, startServer, writeResults } from './lib.mjs'

const RUNS = 5
const AIM_BYTES = 250 * 1024
const PASSWORD = 'bench-frontend-password'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** The bench root gets an admin password we know, so the browser can sign in through the page. */
async function useKnownPassword(root) {
  const file = join(root, 'etc/backendside-mailpanel/config.env')
  const text = readFileSync(file, 'utf8').replace(/^ADMIN_PASSWORD_HASH=.*$/m, `ADMIN_PASSWORD_HASH='${await hash(PASSWORD, 4)}'`)
  writeFileSync(file, text, { mode: 0o600 })
}

/**
 * One cold load, counted until the network is idle: the first view's code and whatever Nuxt
 * prefetches while the page idles (chunks of pages the overview links to). Counting only up to the
 * "interactive" moment made the figure jump with whether that prefetch happened to finish first;
 * `beforeInteractive` keeps the share the first view itself waited for.
 */
async function coldLoad(context) {
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  const types = new Map()
  const bytes = { script: 0, stylesheet: 0, other: 0 }
  const later = { script: 0, stylesheet: 0, other: 0 }
  let interactive = false
  cdp.on('Network.responseReceived', e => types.set(e.requestId, e.type))
  cdp.on('Network.loadingFinished', (e) => {
    const type = types.get(e.requestId)
    const key = type === 'Script' ? 'script' : type === 'Stylesheet' ? 'stylesheet' : 'other'
    ;(interactive ? later : bytes)[key] += e.encodedDataLength
  })
  const started = performance.now()
  await page.goto('/')
  // Interactive = the overview's counters show data from the API (the page is mounted and wired).
  await page.getByTestId('overview-counts').locator('a').first().waitFor()
  const interactiveMs = performance.now() - started
  interactive = true
  await page.waitForLoadState('networkidle')
  await page.close()
  return {
    script: bytes.script + later.script,
    stylesheet: bytes.stylesheet + later.stylesheet,
    other: bytes.other + later.other,
    beforeInteractive: bytes.script + bytes.stylesheet,
    interactiveMs,
  }
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const kb = n => `${(n / 1024).toFixed(1)} KB`

await benchMain(SERVER_ENTRY, async (state) => {
  state.db = await createDatabase()
  state.root = await makeRoot()
  await useKnownPassword(state.root)
  state.server = await startServer(state.root, state.db.url)
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: FLAGS })
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: state.server.url })
    const login = await context.newPage()
    await login.goto('/login')
    await login.getByLabel('Username').fill('admin')
    await login.getByLabel('Password').fill(PASSWORD)
    await login.getByRole('button', { name: 'Sign in' }).click()
    await login.getByTestId('overview-counts').waitFor()
    await login.close()

    const runs = []
    for (let i = 0; i < RUNS; i++) runs.push(await coldLoad(context))
    const jsCss = runs.map(r => r.script + r.stylesheet)
    const report = {
      startedAt: new Date().toISOString(),
      machine: machine(),
      runs,
      median: {
        js: median(runs.map(r => r.script)),
        css: median(runs.map(r => r.stylesheet)),
        jsCss: median(jsCss),
        interactiveMs: median(runs.map(r => r.interactiveMs)),
        beforeInteractive: median(runs.map(r => r.beforeInteractive)),
      },
      aimBytes: AIM_BYTES,
    }
    printMachine(report.machine)
    printTable(['first load of / (signed in)', 'median', 'aim'], [
      ['JS transferred (until the network is idle)', kb(report.median.js), ''],
      ['CSS transferred', kb(report.median.css), ''],
      ['JS + CSS transferred', kb(report.median.jsCss), `< ${kb(AIM_BYTES)} — ${report.median.jsCss < AIM_BYTES ? 'met' : 'missed'}`],
      ['  of it loaded before the overview was interactive', kb(report.median.beforeInteractive), ''],
      ['time to interactive (overview data shown)', `${Math.round(report.median.interactiveMs)} ms`, ''],
    ])
    console.log(`Results: ${writeResults('frontend', report)}`)
    return true
  }
  finally {
    await browser.close()
  }
})
