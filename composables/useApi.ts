import { FetchError } from 'ofetch'

/** An API failure with the server's `{error, detail, code}` envelope, ready to show. */
export class ApiClientError extends Error {
  constructor(readonly status: number, readonly code: string, readonly title: string, readonly detail: string) {
    super(detail ? `${title}: ${detail}` : title)
  }

  /** "domain_id: must be …; password: …" (VALIDATION_FAILED) → per-field messages for inline errors. */
  fieldErrors(): Record<string, string> {
    if (this.code !== 'VALIDATION_FAILED') return {}
    const fields: Record<string, string> = {}
    // A message may contain "; " itself ("contains a private key; send it as private_key"): split only before "field: ".
    for (const part of this.detail.split(/; (?=[a-z_][\w.]*: )/i)) {
      const m = /^([a-z_][\w.]*): (.+)$/i.exec(part)
      if (m) fields[m[1]!.split('.')[0]!] ??= m[2]!
    }
    return fields
  }
}

export type Query = Record<string, string | number | boolean | undefined>

function toClientError(err: unknown): ApiClientError {
  if (err instanceof ApiClientError) return err
  if (err instanceof FetchError) {
    const body = err.data as { error?: unknown, detail?: unknown, code?: unknown } | undefined
    if (body && typeof body.code === 'string') return new ApiClientError(err.statusCode ?? 0, body.code, String(body.error ?? 'Error'), String(body.detail ?? ''))
    if (!err.statusCode) return new ApiClientError(0, 'NETWORK_ERROR', 'The panel is not reachable', 'Check the connection and try again.')
    return new ApiClientError(err.statusCode, 'HTTP_ERROR', `Request failed (${err.statusCode})`, err.statusMessage ?? '')
  }
  return new ApiClientError(0, 'CLIENT_ERROR', 'Something went wrong', err instanceof Error ? err.message : String(err))
}

/** A path inside this app to return to after sign-in; anything else (//evil, https://…, /\evil) is refused. */
export function safeNext(value: unknown): string {
  const next = typeof value === 'string' ? value : ''
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/'
  return next
}

/**
 * The one API client of the dashboard: same-origin requests carrying the HttpOnly session cookie,
 * errors turned into ApiClientError. A 401 (session expired or revoked) sends the user to the
 * sign-in page and back to where they were.
 */
export function useApi() {
  const router = useRouter()
  const session = useSessionState()

  async function request<T>(method: string, path: string, opts: { body?: unknown, query?: Query, headers?: Record<string, string> } = {}): Promise<T> {
    try {
      const result = await ($fetch as (url: string, options: object) => Promise<T>)(path, { method: method as 'GET', body: opts.body as Record<string, unknown>, query: opts.query, headers: opts.headers, credentials: 'same-origin' })
      // A change may show up in any list or count: the next read of each goes to the server.
      if (method !== 'GET') markAllStale()
      return result
    }
    catch (err) {
      const error = toClientError(err)
      if (error.status === 401 && !path.startsWith('/auth/')) {
        session.value = null
        const here = router.currentRoute.value
        if (here.path !== '/login') await navigateTo({ path: '/login', query: { next: safeNext(here.fullPath) } })
      }
      throw error
    }
  }

  return {
    get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
    post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body, query }),
    put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
    del: <T>(path: string) => request<T>('DELETE', path),
    /** A raw body (e.g. a backup archive) with its own content type. */
    upload: <T>(path: string, body: Blob, contentType: string) => request<T>('POST', path, { body, headers: { 'content-type': contentType } }),
  }
}
