import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, streamBody, type ApiResponse } from '../support/client'
import { expectError, expectValidation } from '../support/expect'
import { createTestDatabase, LEGACY_API_KEY, makeRoot, raiseRateLimits, removeRoot, startServer, type TestServer } from '../support/server'

// Hostile bodies against a dedicated server whose memory is read from /proc: nesting that would
// overflow a recursive walk, and bodies far over the cap, chunked or with a lying Content-Length.

const MAX_JSON_DEPTH = 32
const DEEP = 10_000
const STREAMED_BYTES = 50 * 1024 * 1024
// What reading (and refusing) a 50 MB body may add to the server's RSS: it must not be buffered.
const STREAM_RSS_BUDGET_MB = 30

let server: TestServer
let db: Awaited<ReturnType<typeof createTestDatabase>>

const rssMb = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024
const post = (path: string, raw: string, auth = true) =>
  api(path, { method: 'POST', raw, headers: { 'content-type': 'application/json' }, auth, baseUrl: server.url })

async function expectHealthy(): Promise<void> {
  expect((await api('/health', { baseUrl: server.url })).status).toBe(200)
}

function expectTooLarge(res: ApiResponse): void {
  expectError(res, 413, 'PAYLOAD_TOO_LARGE')
  expect(res.headers.get('connection')).toBe('close')
}

beforeAll(async () => {
  db = await createTestDatabase()
  // Setup still open (no admin yet), so /api/v1/setup reads its body too.
  server = await startServer({ root: await makeRoot({ ADMIN_USER: undefined, ADMIN_PASSWORD_HASH: undefined }), databaseUrl: db.url })
  await raiseRateLimits(server.url)
})

afterAll(async () => {
  await server?.stop()
  await db?.drop()
  if (server) removeRoot(server.root)
})

describe('deeply nested JSON', () => {
  const arrays = '['.repeat(DEEP) + ']'.repeat(DEEP)
  const objects = '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP)

  for (const [path, auth] of [['/auth/login', false], ['/api/v1/setup', false], ['/api/v1/domains', true]] as const) {
    it(`is a 400 naming the depth limit on ${path}, for arrays and objects ${DEEP} deep, and the server stays healthy`, async () => {
      for (const body of [arrays, objects, `{"name":${arrays}}`]) {
        const err = expectValidation(await post(path, body, auth))
        expect(err.detail).toContain(String(MAX_JSON_DEPTH))
      }
      await expectHealthy()
    })
  }

  it('is a 400 BACKUP_INVALID on the restore (an uncompressed archive document), and nothing changes', async () => {
    for (const body of [arrays, `{"format":${objects}}`]) {
      const res = await api('/api/v1/admin/restore', { method: 'POST', raw: body, headers: { 'content-type': 'application/json' }, baseUrl: server.url })
      expect(expectError(res, 400, 'BACKUP_INVALID').detail).toContain(String(MAX_JSON_DEPTH))
    }
    await expectHealthy()
  })

  it(`counts only brackets outside strings: a string full of brackets is just a string`, async () => {
    expectValidation(await post('/api/v1/domains', JSON.stringify({ name: '['.repeat(DEEP) })), 'name')
  })

  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels (then validates it as usual)`, async () => {
    const atLimit = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)
    const err = expectValidation(await post('/api/v1/domains', atLimit))
    expect(err.detail).not.toContain(String(MAX_JSON_DEPTH))
  })
})

describe('bodies over the cap', () => {
  for (const [path, what] of [['/auth/login', 'the sign-in'], ['/api/v1/domains', 'an authenticated endpoint']] as const) {
    it(`a chunked ${STREAMED_BYTES / 1024 / 1024} MB body to ${what} is cut at the cap with 413, without being buffered`, async () => {
      const before = rssMb()
      const res = await streamBody(path, { bytes: STREAMED_BYTES, headers: { 'x-api-key': LEGACY_API_KEY }, baseUrl: server.url })
      expectTooLarge(res)
      expect(rssMb() - before).toBeLessThan(STREAM_RSS_BUDGET_MB)
      await expectHealthy()
    })
  }

  it('a Content-Length of 10 GB is refused at once, before any byte of the body', async () => {
    const res = await streamBody('/auth/login', { bytes: 0, headers: { 'content-length': '10000000000' }, baseUrl: server.url })
    expectTooLarge(res)
    expect(res.sent).toBe(0)
    await expectHealthy()
  })

  it('a body on a GET or DELETE, which take none, is refused with 413 and the connection closed', async () => {
    for (const method of ['GET', 'DELETE']) {
      // node:http frames a GET body only when told to.
      for (const framing of [{ 'transfer-encoding': 'chunked' }, { 'content-length': '4096' }] as Record<string, string>[]) {
        const res = await streamBody('/api/v1/domains/1', { method, bytes: 4096, headers: { 'x-api-key': LEGACY_API_KEY, ...framing }, baseUrl: server.url })
        expectTooLarge(res)
      }
    }
    await expectHealthy()
  })
})
