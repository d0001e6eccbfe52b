import type { About } from './api-types'

/** GET /api/v1/about, read once per page load and shared (the About dialog, the DNS records). */
export const useAbout = () => useApiData<About>('/api/v1/about', { maxAge: Number.POSITIVE_INFINITY })
