import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiResponse } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'
import type { LogsResponse } from '#shared/types/logs'

const getLogs = (query: string, baseUrl?: string) => api<LogsResponse>(`/api/v1/logs${query}`, { baseUrl })

describe('GET /api/v1/logs: the query', () => {
  it('asks who you are before anything else', async () => {
    expectError(await api('/api/v1/logs?service=../etc', { auth: false }), 401, 'UNAUTHORIZED')
  })

  it.each([
    ['?service=../etc', 'service'],
    ['?service=postfix%00', 'service'],
    ['?service=POSTFIX', 'service'],
    ['?service=postfix&lines=999999999', 'lines'],
    ['?service=postfix&lines=51', 'lines'],
    ['?service=postfix&lines=-50', 'lines'],
    ['?service=postfix&lines=1e3', 'lines'],
    ['?service=postfix&lines=50&lines=150', 'lines'],
    [`?service=postfix&q=${'x'.repeat(201)}`, 'q'],
    ['?service=postfix&q=a&q=b', 'q'],
    ['?service=postfix&grep=x', 'grep'],
  ])('%s is a 400 naming %s', async (query, field) => {
    expectValidation(await getLogs(query), field)
  })
})

// A server of its own: its root holds the Postfix log its rendered main.cf names, and its PATH has
// neither journalctl nor doveadm (Dovecot's log file does not exist, so its source is the journal).
describe.skipIf(!process.env.DATABASE_URL)('GET /api/v1/logs from the rendered log file, without journalctl (needs DATABASE_URL: on the embedded database the panel manages no mail stack, so it renders no log file)', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  const emptyPath = mkdtempSync(join(tmpdir(), 'no-tools-'))
  let logFile = ''
  const lines = [
    'Nov 25 04:02:01 mail postfix/smtpd[101]: connect from client.example[192.0.2.1]',
    'Nov 25 04:02:02 mail postfix/smtpd[101]: 4ABCDEF12: client=client.example[192.0.2.1], sasl_method=PLAIN, sasl_username=a@x.test',
    'Nov 25 04:02:03 mail postfix/smtp[102]: 4ABCDEF12: to=<b@y.test>, relay=y.test[198.51.100.2]:25, status=sent (250 2.0.0 Ok)',
    'Nov 25 04:02:04 mail postfix/smtp[103]: 5BCDEF123: to=<c@z.test>, status=deferred (connect to z.test[203.0.113.3]:25: Connection refused)',
    'Nov 25 04:02:05 mail postfix/smtpd[104]: warning: unknown[192.0.2.9]: SASL PLAIN authentication failed: (a.b) [x]*',
    'Nov 25 04:02:06 mail postfix/cleanup[105]: fatal: open database /etc/postfix/x.db: No such file or directory',
    'Nov 25 04:02:07 mail postfix/smtpd[101]: disconnect from client.example[192.0.2.1] ehlo=1 quit=1 commands=2',
  ]

  beforeAll(async () => {
    db = await createTestDatabase()
    const root = await makeRoot()
    logFile = join(root, 'var/log/mail.log')
    mkdirSync(join(root, 'var/log'), { recursive: true })
    const filler = Array.from({ length: 5000 }, (_, i) => `Nov 25 03:00:00 mail postfix/qmgr[99]: FILL${i}: removed`)
    writeFileSync(logFile, `${[...filler, ...lines].join('\n')}\n`)
    server = await startServer({ root, databaseUrl: db.url, env: { PATH: emptyPath } })
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
    rmSync(emptyPath, { recursive: true, force: true })
  })

  it('the newest lines, oldest first, each with its time and colour', async () => {
    const res = await getLogs('?service=postfix&lines=50', server.url)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ service: 'postfix', source: 'file', file: logFile, lines: 50, q: '', truncated: false })
    expect(res.body.data).toHaveLength(50)
    expect(res.body.data.slice(-7).map(l => l.text)).toEqual(lines)
    expect(res.body.data.slice(-7).map(l => l.level)).toEqual(['success', 'info', 'success', 'warning', 'warning', 'error', 'info'])
    expect(new Date(res.body.data.at(-1)!.time!).getMonth()).toBe(10)
    // The default is 150 lines, of the Postfix log.
    expect((await getLogs('', server.url)).body).toMatchObject({ service: 'postfix', lines: 150 })
    expect((await getLogs('', server.url)).body.data).toHaveLength(150)
  })

  it('q is a literal, case-insensitive substring: regular-expression characters match only themselves', async () => {
    const text = async (q: string) => {
      const res: ApiResponse<LogsResponse> = await getLogs(`?service=postfix&lines=1000&q=${encodeURIComponent(q)}`, server.url)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return res.body.data.map(l => l.text)
    }
    expect(await text('4abcdef12')).toEqual([lines[1], lines[2]])
    expect(await text('(a.b) [x]*')).toEqual([lines[4]])
    expect(await text('.*')).toEqual([])
    expect(await text('^Nov')).toEqual([])
    expect(await text('[0-9]')).toEqual([])
    expect(await text('sent|deferred')).toEqual([])
    expect(await text('FILL4999:')).toEqual(['Nov 25 03:00:00 mail postfix/qmgr[99]: FILL4999: removed'])
    expect(await text('FILL')).toHaveLength(1000)
  })

  it('the journal as the source without journalctl installed is a 409 naming the package', async () => {
    const err = expectError(await getLogs('?service=dovecot', server.url), 409, 'CAPABILITY_MISSING')
    expect(err.detail).toMatch(/journalctl.*systemd/)
  })

  it('reads a log of any size with the same bounded cost (the whole file is never loaded)', async () => {
    const before = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1])
    for (let i = 0; i < 20; i++) expect((await getLogs('?service=postfix&lines=1000&q=nothing-matches', server.url)).status).toBe(200)
    const after = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1])
    expect(after - before).toBeLessThan(64 * 1024)
  })
})
