import { defineEventHandler, setResponseStatus } from 'h3'
import { runHealthChecks } from '#server/services/health/health'

/** GET /health — deep probe (database, disk); 503 when any check fails. Public, for load balancers. */
export default defineEventHandler(async (event) => {
  const result = await runHealthChecks()
  if (result.status !== 'ok') setResponseStatus(event, 503)
  return result
})
