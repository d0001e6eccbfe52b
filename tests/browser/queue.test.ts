import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmDialog, poll, screenshotOnFailure, startDashboard, toast, type Dashboard } from '../support/browser'
import { pathWithoutMailDaemons } from '../support/server'

// Stand-in postqueue and postsuper over a JSON-lines file (the real ones are the system suite's):
// `postqueue -f` "delivers" every deferred message, as a flush to a destination that came back would.
const bin = mkdtempSync(join(tmpdir(), 'mailpanel-queue-ui-'))
const file = join(bin, 'queue.jsonl')
const message = (id: string, queue: string, to: string, reason?: string) => JSON.stringify({
  queue_name: queue, queue_id: id, arrival_time: 1_780_000_000, message_size: 2345, forced_expire: false, sender: 'alice@shop.example',
  recipients: [{ address: to, ...(reason && { delay_reason: reason }) }],
})
const POSTQUEUE = `#!/bin/sh
case "$3" in
  -j) exec cat ${file} ;;
  -f) grep -v '"queue_name":"deferred"' ${file} > ${file}.new; mv ${file}.new ${file} ;;
esac
`
const POSTSUPER = `#!/bin/sh
case "$3" in
  -d) grep -v "\\"$4\\"" ${file} > ${file}.new; mv ${file}.new ${file}; echo "postsuper: Deleted: 1 message" >&2 ;;
  -h) sed -i "/\\"$4\\"/s/\\"queue_name\\":\\"[a-z]*\\"/\\"queue_name\\":\\"hold\\"/" ${file}; echo "postsuper: Placed on hold: 1 message" >&2 ;;
  -H) sed -i "/\\"$4\\"/s/\\"queue_name\\":\\"hold\\"/\\"queue_name\\":\\"deferred\\"/" ${file}; echo "postsuper: Released from hold: 1 message" >&2 ;;
esac
`
const REFUSED = 'connect to mx.remote.example[192.0.2.7]:25: Connection refused'

let d: Dashboard
const row = (id: string) => d.w.page.getByTestId('queue-table').getByRole('row').filter({ hasText: id })

describe('the mail queue tab in Chromium', () => {
  beforeAll(async () => {
    writeFileSync(file, `${[message('AAAA111111', 'deferred', 'bob@remote.example', REFUSED), message('BBBB222222', 'deferred', 'carol@remote.example', REFUSED),
      message('CCCC333333', 'hold', 'dave@remote.example')].join('\n')}\n`)
    writeFileSync(join(bin, 'postqueue'), POSTQUEUE, { mode: 0o755 })
    writeFileSync(join(bin, 'postsuper'), POSTSUPER, { mode: 0o755 })
    d = await startDashboard({}, { PATH: `${bin}:${pathWithoutMailDaemons()}` })
  })

  afterAll(async () => {
    await d?.close()
    rmSync(bin, { recursive: true, force: true })
  })

  screenshotOnFailure(() => d?.w)

  it('lists every message with sender, recipients and why delivery was delayed', async () => {
    await d.w.page.goto('/queue')
    await d.signIn()
    await row('AAAA111111').waitFor()
    const text = await row('AAAA111111').innerText()
    for (const part of ['alice@shop.example', 'bob@remote.example', REFUSED, '2.3 KiB', 'deferred']) expect(text).toContain(part)
    expect(await row('CCCC333333').innerText()).toContain('hold')
    await d.w.page.getByRole('link', { name: 'Mail queue' }).waitFor()
    await d.w.screenshot('queue')
  })

  it('holds a message after confirmation, and releases it again', async () => {
    await row('BBBB222222').getByRole('button', { name: 'Hold message BBBB222222' }).click()
    await d.w.page.getByText('Hold message BBBB222222?').waitFor()
    await confirmDialog(d.w.page)
    await toast(d.w.page, 'Message BBBB222222 placed on hold').waitFor()
    await row('BBBB222222').getByRole('button', { name: 'Release message BBBB222222' }).waitFor()
    await row('BBBB222222').getByRole('button', { name: 'Release message BBBB222222' }).click()
    await confirmDialog(d.w.page)
    await row('BBBB222222').getByRole('button', { name: 'Hold message BBBB222222' }).waitFor()
  })

  it('Flush All asks first, then the table shows what is left', async () => {
    await d.w.page.getByTestId('queue-flush').click()
    await d.w.page.getByText('Flush the mail queue?').waitFor()
    await confirmDialog(d.w.page)
    await toast(d.w.page, 'Queue flushed: deferred mail is being delivered now (held mail stays on hold)').waitFor()
    await poll(() => d.w.page.getByTestId('queue-table').getByRole('row').count()).toBe(2)
    await row('CCCC333333').waitFor()
  })

  it('deletes a message after confirmation; an empty queue says so', async () => {
    await row('CCCC333333').getByRole('button', { name: 'Delete message CCCC333333' }).click()
    await d.w.page.getByText('Delete message CCCC333333?').waitFor()
    await confirmDialog(d.w.page)
    await d.w.page.getByTestId('empty').getByText('The mail queue is empty').waitFor()
  })

  it('shows what went wrong when Postfix is down', async () => {
    rmSync(join(bin, 'postqueue'))
    writeFileSync(join(bin, 'postqueue'), '#!/bin/sh\necho "postqueue: fatal: Queue report unavailable - mail system is down" >&2\nexit 69\n', { mode: 0o755 })
    d.expected.push(/503/)
    await d.w.page.getByRole('button', { name: 'Refresh the queue' }).click()
    await d.w.page.getByTestId('table-error').getByText(/mail system is down/).waitFor()
    expect(d.unexpectedErrors()).toEqual([])
  })
})
