import type { About } from './api-types'

// Versions, host and uptime change under a dashboard left open (a package upgrade, a restart): a read
// older than this is made again when the About dialog or the DNS records ask for it.
const ABOUT_MAX_AGE_MS = 60_000

/** GET /api/v1/about, shared by the About dialog and the DNS records, re-read when a minute old. */
export const useAbout = () => useApiData<About>('/api/v1/about', { maxAge: ABOUT_MAX_AGE_MS })
