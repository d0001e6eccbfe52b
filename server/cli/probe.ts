import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import type { HealthReport } from '#server/services/health/health'
import { listenAddress, type PanelConfig } from '#server/utils/config'

// The panel answers /health within its own 3 s check deadline; a little more for the round trip.
const PROBE_TIMEOUT_MS = 5_000
const HTTP_OK = 200
const HTTP_UNAVAILABLE = 503

export interface PanelProbe {
  url: string
  /** Answered /health at all (200, or 503 with its report). */
  up: boolean
  report?: HealthReport
  /** Why it is not up (connection refused, timeout). */
  error?: string
}

/** The configured address as a client dials it: a wildcard listener is reached on loopback. */
export function panelUrl(config: PanelConfig): string {
  const { host, port } = listenAddress(config)
  const dial = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `${config.https ? 'https' : 'http'}://${dial.includes(':') ? `[${dial}]` : dial}:${port}`
}

/**
 * GET /health on the configured address. HTTPS is not verified: this asks whether our own process
 * on this machine answers (the day-0 certificate is self-signed), and sends no credential.
 */
export function probePanel(config: PanelConfig): Promise<PanelProbe> {
  const url = panelUrl(config)
  const get = config.https ? httpsGet : httpGet
  return new Promise((resolve) => {
    const req = get(`${url}/health`, { timeout: PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        if (res.statusCode !== HTTP_OK && res.statusCode !== HTTP_UNAVAILABLE) return resolve({ url, up: false, error: `/health answered HTTP ${res.statusCode}` })
        try {
          resolve({ url, up: true, report: JSON.parse(body) as HealthReport })
        }
        catch {
          resolve({ url, up: false, error: 'the answer to /health is not the panel\'s' })
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)))
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ url, up: false, error: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message }))
  })
}
