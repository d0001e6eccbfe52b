import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Mailbox } from '#shared/types/directory'
import type { ListEnvelope } from '#shared/types/list'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, toast, type Dashboard } from '../support/browser'
import { LEGACY_API_KEY } from '../support/server'

const DOMAIN = `imp${Date.now().toString(36)}.example`
// More plaintext passwords than the server hashes within a request: the import runs as a job.
const JOB_ROWS = 30
const headers = { 'x-api-key': LEGACY_API_KEY, 'content-type': 'application/json' }

let d: Dashboard
let domainId: number

const page = () => d.w.page
const dialog = () => page().getByRole('dialog')
const csvFile = (text: string) => ({ name: 'mailboxes.csv', mimeType: 'text/csv', buffer: Buffer.from(text) })
async function mailboxes(): Promise<Mailbox[]> {
  const res = await fetch(`${d.server.url}/api/v1/mailboxes?domain_id=${domainId}&limit=500`, { headers })
  return ((await res.json()) as ListEnvelope<Mailbox>).data
}
async function openImport(text: string) {
  await page().getByTestId('import-csv').click()
  await dialog().locator('input[type="file"]').setInputFiles(csvFile(text))
  await dialog().getByTestId('import-check').click()
}

describe('mailbox import and bulk actions in Chromium', () => {
  beforeAll(async () => {
    d = await startDashboard()
    const res = await fetch(`${d.server.url}/api/v1/domains`, { method: 'POST', headers, body: JSON.stringify({ name: DOMAIN }) })
    expect(res.status).toBe(201)
    domainId = ((await res.json()) as { id: number }).id
    await page().goto(`/domains/${domainId}`)
    await d.signIn()
    await page().getByTestId('mailboxes-table').waitFor()
  })

  afterAll(() => d?.close())

  screenshotOnFailure(() => d?.w)

  it('checks a file first and lists its bad rows by line and column, importing nothing', async () => {
    await openImport(`address,password\nok@${DOMAIN},good-password-1\nshort@${DOMAIN},tiny\nghost@nowhere.example,good-password-2\n`)
    const errors = dialog().getByTestId('import-errors')
    await errors.waitFor()
    const rows = await errors.locator('tbody tr').allInnerTexts()
    expect(rows.map(r => r.split('\t').slice(0, 2).join(' '))).toEqual(['3 password', '4 address'])
    expect(rows[0]).toMatch(/at least 8 characters/)
    expect(rows[1]).toMatch(/no domain nowhere\.example/)
    expect(await dialog().getByTestId('import-summary').innerText()).toBe('3 rows: 1 ready to import, 2 with problems.')
    expect(await dialog().getByTestId('import-run').isDisabled()).toBe(true)
    await d.w.screenshot('mailbox-import-errors')
    await dialog().getByRole('button', { name: 'Cancel' }).click()
    await dialog().waitFor({ state: 'detached' })
    expect(await mailboxes()).toEqual([])
  })

  it(`imports ${JOB_ROWS} mailboxes with plaintext passwords, showing the job's progress, and lists them`, async () => {
    const lines = ['address,password,name']
    for (let i = 1; i <= JOB_ROWS; i++) lines.push(`user${String(i).padStart(2, '0')}@${DOMAIN},password-${i}-long,"User ${i}, imported"`)
    await openImport(lines.join('\r\n'))
    await poll(() => dialog().getByTestId('import-summary').innerText().catch(() => '')).toBe(`${JOB_ROWS} rows: ${JOB_ROWS} ready to import.`)
    await dialog().getByTestId('import-run').click()
    await dialog().getByTestId('import-progress').waitFor()
    await toast(page(), `${JOB_ROWS} mailboxes imported`).waitFor()
    await dialog().waitFor({ state: 'detached' })
    expect((await mailboxes()).length).toBe(JOB_ROWS)
    await poll(() => page().getByTestId('mailboxes-table').innerText()).toContain(`user01@${DOMAIN}`)
    expect(await page().getByTestId('mailboxes-table').innerText()).toContain('User 1, imported')
  })

  it('deactivates every mailbox matching the search, after confirming the count', async () => {
    await page().getByPlaceholder('Search mailboxes').fill('user1')
    await poll(() => page().getByTestId('mailboxes-table').locator('tbody tr').count()).toBe(10)
    await page().getByTestId('bulk-deactivate').click()
    await page().getByText(`Deactivate 10 mailboxes in ${DOMAIN} matching "user1"?`).waitFor()
    await d.w.screenshot('mailbox-bulk-confirm')
    await confirmDialog(page())
    await toast(page(), 'Deactivated 10 mailboxes').waitFor()
    const inactive = (await mailboxes()).filter(m => !m.active).map(m => m.username)
    expect(inactive).toEqual(['user10', 'user11', 'user12', 'user13', 'user14', 'user15', 'user16', 'user17', 'user18', 'user19'])
    await poll(() => page().getByTestId('mailboxes-table').innerText()).not.toContain('Active')
    // Again: nothing left to change, and no dialog.
    await page().getByTestId('bulk-deactivate').click()
    await toast(page(), `Nothing to change: the 10 mailboxes in ${DOMAIN} matching "user1" already are inactive`).waitFor()
    expect(d.unexpectedErrors()).toEqual([])
  })
})
