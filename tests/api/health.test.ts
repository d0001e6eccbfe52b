import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { api } from '../support/client'

interface Check { status: string, ok: boolean, critical: boolean, latency_ms: number, detail: string }
interface Health { status: string, checks: Record<string, Check> }

const DAEMONS = ['postfix', 'dovecot', 'opendkim', 'opendkim-ed25519', 'opendmarc', 'postgrey', 'clamsmtp', 'spampd']

describe('GET /health on a server without mail daemons', () => {
  it('is 200 with every check: status, latency and whether it is critical', async () => {
    const res = await api<Health>('/health', { auth: false })
    expect(res.status).toBe(200)
    expect(['ok', 'degraded']).toContain(res.body.status)
    expect(Object.keys(res.body.checks).sort()).toEqual(['database', 'disk_data', 'disk_mail_store', 'policy_daemon', 'reconcile', ...DAEMONS].sort())
    for (const [name, check] of Object.entries(res.body.checks)) {
      expect(['ok', 'warn', 'down', 'skipped'], name).toContain(check.status)
      expect(check.ok, name).toBe(check.status !== 'down')
      expect(Number.isInteger(check.latency_ms) && check.latency_ms >= 0, name).toBe(true)
      expect(typeof check.detail, name).toBe('string')
    }
    expect(res.body.checks.database).toMatchObject({ status: 'ok', ok: true, critical: true })
    expect(res.body.checks.policy_daemon!.status).toBe('ok')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('reports daemons missing from PATH as skipped, never down', async () => {
    const { body } = await api<Health>('/health', { auth: false })
    for (const name of DAEMONS) expect(body.checks[name], name).toMatchObject({ status: 'skipped', ok: true })
  })

  it('shows the start-up reconcile run with its age, and free disk space', async () => {
    const { body } = await api<Health & { checks: Record<string, Check & { age_s?: number, free_mb?: number }> }>('/health', { auth: false })
    expect(body.checks.reconcile!.status).toBe('ok')
    expect(body.checks.reconcile!.age_s).toBeGreaterThanOrEqual(0)
    expect(body.checks.disk_mail_store!.free_mb).toBeGreaterThan(0)
    expect(body.checks.disk_data!.free_mb).toBeGreaterThan(0)
  })

  it('carries no secret and no path', async () => {
    const res = await fetch(`${inject('serverUrl')}/health`)
    const text = await res.text()
    const root = inject('serverRoot')
    const config = readFileSync(join(root, 'etc/backendside-mailpanel/config.env'), 'utf8')
    for (const [, value] of config.matchAll(/^\w+='([^']{8,})'/gm)) expect(text).not.toContain(value)
    expect(text).not.toContain(root)
    expect(text).not.toMatch(/postgres(?:ql)?:\/\//)
  })

  it('is the same report under /api/v1/health', async () => {
    const res = await api<Health>('/api/v1/health', { auth: false })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body.checks)).toContain('postfix')
  })
})
