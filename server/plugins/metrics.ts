import type { H3Event } from 'h3'
import { metrics, UNMATCHED_ROUTE } from '#server/services/metrics/metrics'

// The router's pattern (`/api/v1/domains/:id`), which h3 records on the event when a route matched:
// a label per route, however many ids there are.
const routeOf = (event: H3Event): string => event.context.matchedRoute?.path ?? UNMATCHED_ROUTE

/**
 * Counts and times every response for GET /metrics, from the socket's side: 'finish' fires once the
 * response is written, whoever wrote it (a handler, the error handler, a middleware's 429), which
 * Nitro's afterResponse hook does not promise (it is skipped when the error handler sent the answer).
 * Nothing in the handlers.
 */
export default defineNitroPlugin((nitroApp) => {
  metrics.start()
  nitroApp.hooks.hook('request', (event) => {
    const started = performance.now()
    const res = event.node.res
    res.once('finish', () => metrics.httpRequest(event.method, routeOf(event), res.statusCode, (performance.now() - started) / 1000))
  })
})
