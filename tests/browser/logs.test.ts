import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { poll, screenshotOnFailure, startDashboard, type Dashboard } from '../support/browser'

let d: Dashboard
const POSTFIX = [
  'Nov 25 04:02:01 mail postfix/smtpd[101]: connect from client.example[192.0.2.1]',
  'Nov 25 04:02:02 mail postfix/qmgr[102]: 4ABCDEF12: from=<a@x.test>, size=420, nrcpt=1 (queue active)',
  'Nov 25 04:02:03 mail postfix/smtp[103]: 4ABCDEF12: to=<b@y.test>, relay=y.test[198.51.100.2]:25, status=sent (250 2.0.0 Ok)',
  'Nov 25 04:02:04 mail postfix/smtp[104]: 5BCDEF123: to=<c@z.test>, status=deferred (connect to z.test[203.0.113.3]:25: Connection refused)',
  'Nov 25 04:02:05 mail postfix/cleanup[105]: fatal: open database /etc/postfix/x.db: No such file or directory',
]
const DOVECOT = ['Nov 25 04:03:00 imap-login: Info: Login: user=<a@x.test>, method=PLAIN, rip=192.0.2.1, lip=127.0.0.1, TLS']
let dovecotLog = ''

const lines = () => d.w.page.getByTestId('log-line')
const texts = () => lines().allInnerTexts()
const line = (text: string) => lines().filter({ hasText: text })
const colour = (text: string) => line(text).evaluate(el => getComputedStyle(el).color)

describe('the Logs tab in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    // The log files the rendered main.cf and dovecot.conf name, under the test server's root.
    mkdirSync(join(d.server.root, 'var/log'), { recursive: true })
    writeFileSync(join(d.server.root, 'var/log/mail.log'), `${POSTFIX.join('\n')}\n`)
    dovecotLog = join(d.server.root, 'var/log/dovecot.log')
    writeFileSync(dovecotLog, `${DOVECOT.join('\n')}\n`)
  })

  afterAll(async () => {
    await d?.close()
  })

  screenshotOnFailure(() => d?.w)

  it('is in the sidebar, and shows the Postfix log with errors red, warnings orange, deliveries and connects green', async () => {
    await d.w.page.goto('/')
    await d.signIn()
    await d.w.page.getByRole('link', { name: 'Logs' }).click()
    await d.w.page.waitForURL(/\/logs$/)
    await poll(texts).toEqual(POSTFIX)
    expect(await lines().evaluateAll(els => els.map(el => el.getAttribute('data-level')))).toEqual(['success', 'info', 'success', 'warning', 'error'])
    const [red, orange, green, plain] = await Promise.all([colour('fatal:'), colour('status=deferred'), colour('status=sent'), colour('queue active')])
    expect(new Set([red, orange, green, plain]).size).toBe(4)
    expect(await colour('connect from')).toBe(green)
    await d.w.screenshot('logs')
    expect(await d.w.page.getByRole('link', { name: 'Sessions' }).count()).toBe(1)
  })

  it('filters by literal text: regular-expression characters match only themselves', async () => {
    await d.w.page.getByTestId('log-filter').fill('4ABCDEF12')
    await poll(texts).toEqual([POSTFIX[1], POSTFIX[2]])
    await d.w.page.getByTestId('log-filter').fill('4ABCDEF12.*sent')
    await d.w.page.getByTestId('empty').getByText('No line contains that text.').waitFor()
    await d.w.page.getByTestId('log-filter').fill('')
    await poll(texts).toEqual(POSTFIX)
  })

  it('switches to Dovecot\'s log and refreshes on its own every 10 seconds', async () => {
    await d.w.page.getByTestId('log-service').click()
    await d.w.page.getByRole('option', { name: 'Dovecot' }).click()
    await poll(texts).toEqual(DOVECOT)
    expect(await line('Login: user=').getAttribute('data-level')).toBe('success')
    const added = 'Nov 25 04:04:00 imap(a@x.test)<7><abc>: Error: Mailbox INBOX: open failed'
    appendFileSync(dovecotLog, `${added}\n`)
    await poll(texts).toEqual([...DOVECOT, added])
    expect(await line('open failed').getAttribute('data-level')).toBe('error')
  })

  it('asks nothing while the browser tab is hidden, and catches up when it is shown again', async () => {
    const page = d.w.page
    const asked = () => d.w.requests.filter(url => url.includes('/api/v1/logs')).length
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    const before = asked()
    const added = 'Nov 25 04:05:00 master: Warning: Killed with signal 15'
    appendFileSync(dovecotLog, `${added}\n`)
    await page.waitForTimeout(12_000)
    expect(asked()).toBe(before)
    expect(await texts()).not.toContain(added)
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await poll(texts).toContain(added)
    expect(await line('Killed with signal').getAttribute('data-level')).toBe('warning')
    expect(d.unexpectedErrors()).toEqual([])
  })
})
