import { defineEventHandler, setResponseHeader, setResponseStatus } from 'h3'
import { health } from '#server/services/health/health'

/**
 * GET /health — the deep probe (database, Postfix, Dovecot, policy daemon, helpers in use, disk, last
 * reconcile), each check with status and latency; 503 when a critical one is down. Public, for load
 * balancers and monitors: it carries states and figures only, no secret and no path.
 */
export default defineEventHandler(async (event) => {
  const report = await health.report()
  if (report.status === 'down') setResponseStatus(event, 503)
  setResponseHeader(event, 'cache-control', 'no-store')
  return report
})
