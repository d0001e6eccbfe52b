import { statfs } from 'node:fs/promises'
import { useConfig } from '#server/utils/config'
import { databaseInfo, useDb } from '#server/db/use'

const MIN_FREE_BYTES = 512 * 1024 * 1024

export interface HealthCheck {
  ok: boolean
  detail: string
}

async function checkDatabase(): Promise<HealthCheck> {
  const info = databaseInfo()
  if (!info.ready) return { ok: false, detail: 'not connected' }
  const started = performance.now()
  try {
    await useDb()`SELECT 1`
    return { ok: true, detail: `${info.embedded ? 'embedded' : 'postgresql'}, ${Math.round(performance.now() - started)} ms` }
  }
  catch {
    return { ok: false, detail: 'query failed' }
  }
}

async function checkDisk(): Promise<HealthCheck> {
  try {
    const fs = await statfs(useConfig().paths.root)
    const free = fs.bavail * fs.bsize
    return { ok: free >= MIN_FREE_BYTES, detail: `${Math.round(free / 1024 / 1024)} MiB free` }
  }
  catch {
    return { ok: false, detail: 'cannot stat the panel root' }
  }
}

/** The deep probe: every dependency the panel needs to do its job, not just process liveness. */
export async function runHealthChecks(): Promise<{ status: 'ok' | 'degraded', checks: Record<string, HealthCheck> }> {
  const [database, disk] = await Promise.all([checkDatabase(), checkDisk()])
  const checks = { database, disk }
  return { status: Object.values(checks).every(c => c.ok) ? 'ok' : 'degraded', checks }
}
