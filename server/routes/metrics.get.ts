import { defineEventHandler, setResponseHeader } from 'h3'
import { auth } from '#server/request/auth'
import { metrics } from '#server/services/metrics/metrics'

/** GET /metrics — Prometheus text exposition (METRICS_TOKEN bearer, or an admin's credentials). */
export default defineEventHandler(async (event) => {
  await auth.authorizeMetrics(event)
  const { body, contentType } = await metrics.render()
  setResponseHeader(event, 'content-type', contentType)
  setResponseHeader(event, 'cache-control', 'no-store')
  return body
})
