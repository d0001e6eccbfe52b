import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import { parseExposition, sampleValue, type Sample } from '../support/prometheus'

interface Check { status: string, ok: boolean, critical: boolean, latency_ms: number, detail: string }
interface Health { status: string, checks: Record<string, Check> }

const WAIT_MS = 20_000

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 250))
  }
}

// The panel's probe and metrics against a real Postfix and Dovecot it configured: up, then stopped.
describe('health and metrics on a real mail stack', () => {
  let stack: ManagedStack
  const health = () => stack.api<Health>('/health', { auth: false })
  async function scrape(): Promise<Sample[]> {
    const res = await stack.api<string>('/metrics')
    expect(res.status).toBe(200)
    return parseExposition(res.body).samples
  }

  beforeAll(async () => {
    stack = await startManagedStack()
  }, 180_000)

  afterAll(async () => {
    await stack?.stop()
  })

  it('shows Postfix and Dovecot running, critical, and the report not down', async () => {
    const res = await until('postfix and dovecot ok', async () => {
      const r = await health()
      return r.body.checks.postfix?.status === 'ok' && r.body.checks.dovecot?.status === 'ok' ? r : undefined
    })
    expect(res.status).toBe(200)
    expect(res.body.status).not.toBe('down')
    expect(res.body.checks.database).toMatchObject({ status: 'ok', critical: true })
    expect(res.body.checks.postfix).toMatchObject({ status: 'ok', ok: true, critical: true, detail: 'running' })
    expect(res.body.checks.dovecot).toMatchObject({ status: 'ok', ok: true, critical: true })
    expect(res.body.checks.policy_daemon!.status).toBe('ok')
    expect(res.body.checks.reconcile!.status).toBe('ok')
    for (const check of Object.values(res.body.checks)) expect(check.latency_ms).toBeLessThan(3_500)
    expect(JSON.stringify(res.body)).not.toContain(stack.dbPassword)
  })

  it('shows reconcile runs by trigger and a queue gauge per queue from the real postqueue', async () => {
    const samples = await until('the queue gauge', async () => {
      const s = await scrape()
      return s.some(x => x.name === 'mailpanel_mail_queue_messages') ? s : undefined
    })
    for (const queue of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) {
      expect(sampleValue(samples, 'mailpanel_mail_queue_messages', { queue }), queue).toBeGreaterThanOrEqual(0)
    }
    expect(sampleValue(samples, 'mailpanel_reconcile_runs_total', { trigger: 'start', result: 'ok' })).toBe(1)
    // PUT /config/antispam and /config/mailstack asked for debounced runs.
    expect(sampleValue(samples, 'mailpanel_reconcile_runs_total', { trigger: 'mutation', result: 'ok' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'mailpanel_reconcile_duration_seconds_count', { trigger: 'mutation' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'mailpanel_reconcile_last_success_timestamp_seconds')).toBeGreaterThan(0)
    expect(samples.some(s => s.name === 'mailpanel_db_connections')).toBe(true)
    expect(samples.map(s => JSON.stringify(s)).join('\n')).not.toContain(stack.dbPassword)
  })

  it('is a 503 with Postfix down once the daemons are stopped', async () => {
    await stack.daemons!.stop()
    const res = await until('a 503', async () => {
      const r = await health()
      return r.status === 503 ? r : undefined
    })
    expect(res.body.status).toBe('down')
    expect(res.body.checks.postfix).toMatchObject({ status: 'down', ok: false, critical: true, detail: 'not running' })
    expect(res.body.checks.dovecot).toMatchObject({ status: 'down', critical: true })
    expect(res.body.checks.database!.status).toBe('ok')
  })
})
