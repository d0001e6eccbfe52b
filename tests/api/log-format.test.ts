import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../support/client'
import { createTestDatabase, makeRoot, removeRoot, startServer, type TestServer } from '../support/server'

let server: TestServer
let drop: () => Promise<void>
let output = ''

beforeAll(async () => {
  const db = await createTestDatabase()
  drop = db.drop
  const root = await makeRoot({ LOG_FORMAT: 'json' })
  // Debug level: every message the process has, not only warnings.
  server = await startServer({ root, databaseUrl: db.url, env: { CONSOLA_LEVEL: '5' } })
  const call = (path: string, opts: Parameters<typeof api>[1] = {}) => api(path, { ...opts, baseUrl: server.url })
  // A failed sign-in, a 404, a 401, a reconcile (logs what it did), then a graceful shutdown.
  await call('/auth/login', { body: { username: 'nobody', password: 'wrong-password' }, auth: false })
  await call('/api/v1/domains/999999')
  await call('/metrics', { auth: false })
  await call('/api/v1/reconcile', { method: 'POST' })
  await server.stop()
  output = server.output()
})

afterAll(async () => {
  await drop?.()
  if (server) removeRoot(server.root)
})

describe('LOG_FORMAT=json', () => {
  it('makes every line of stdout and stderr one JSON object with time, level and msg, from start to shutdown', () => {
    const lines = output.split('\n').filter(line => line !== '')
    expect(lines.length).toBeGreaterThan(2)
    for (const line of lines) {
      let record: Record<string, unknown>
      try {
        record = JSON.parse(line) as Record<string, unknown>
      }
      catch {
        throw new Error(`not JSON: ${line}`)
      }
      expect(typeof record.time, line).toBe('string')
      expect(Number.isNaN(Date.parse(record.time as string)), line).toBe(false)
      expect(typeof record.level, line).toBe('string')
      expect(typeof record.msg, line).toBe('string')
    }
    const messages = lines.map(line => (JSON.parse(line) as { msg: string }).msg)
    // Nitro's own console.log, and the policy daemon's consola line.
    expect(messages.some(m => m.startsWith('Listening on'))).toBe(true)
    expect(messages.some(m => m.startsWith('Policy daemon listening'))).toBe(true)
  })
})
