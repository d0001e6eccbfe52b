// Draws the two PNG logos the changelog documents from the SVGs in public/ui/img/, offline, with
// the headless Chromium the browser tests use and the panel's own Inter (so the text is Inter too):
//   node scripts/render-logos.mjs
// The PNGs are committed; run this again only after changing an SVG.
import { readFileSync, writeFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const IMG = new URL('../public/ui/img/', import.meta.url)
const FONT = new URL('../node_modules/inter-ui/variable/InterVariable.woff2', import.meta.url)
const LOGOS = [
  // The rectangle logo (white, rounded: it must stand out on the dark sidebar), 4× its 280×64 design.
  { svg: 'backendside-mailpanel-logo.svg', png: 'backendside-emailserver-rectangle-logo.png', width: 1120, height: 256 },
  // The square mark: favicon and the About badge, 512 px (browsers scale it down).
  { svg: 'backendside-mailpanel-mark.svg', png: 'backendside-email-server-logo.png', width: 512, height: 512 },
]

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] })
const font = readFileSync(FONT).toString('base64')
for (const logo of LOGOS) {
  const page = await browser.newPage({ viewport: { width: logo.width, height: logo.height } })
  const svg = readFileSync(new URL(logo.svg, IMG), 'utf8')
  await page.setContent(`<style>@font-face{font-family:"Inter Variable";font-weight:100 900;src:url(data:font/woff2;base64,${font}) format("woff2")}
html,body{margin:0;background:transparent}svg{display:block;width:${logo.width}px;height:${logo.height}px}</style>${svg}`)
  await page.evaluate(() => document.fonts.ready)
  writeFileSync(new URL(logo.png, IMG), await page.screenshot({ omitBackground: true }))
  await page.close()
}
await browser.close()
