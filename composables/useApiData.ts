import type { Query } from './useApi'
import { ApiClientError } from './useApi'

/**
 * How long a read stays fresh: a page opened again within this time shows what was fetched
 * without asking the server again (clicking through the tabs costs one request per endpoint,
 * not one per click). Any change made through useApi marks every read stale (markAllStale).
 */
export const FRESH_MS = 30_000

// When each key was last fetched; kept outside Nuxt's payload, which is per key and has no time.
const fetchedAt = new Map<string, number>()

/** After a mutation: the next read of anything goes to the server again. */
export function markAllStale() {
  fetchedAt.clear()
}

/** "The panel is not reachable" from an ApiClientError, or the message of anything else. */
export function errorText(err: unknown): string {
  if (!err) return ''
  const cause = (err as { cause?: unknown }).cause
  const e = cause instanceof ApiClientError ? cause : err
  return e instanceof Error ? e.message : String(e)
}

interface ApiDataOptions<T> {
  query?: MaybeRefOrGetter<Query | undefined>
  /** Milliseconds a result may be reused; Infinity for what does not change while the page is open (About). */
  maxAge?: number
  /** How to read it; a GET of `path` with `query` by default. */
  fetch?: (api: ReturnType<typeof useApi>, path: string, query?: Query) => Promise<T>
}

/**
 * Every read of the dashboard: `useAsyncData` keyed by path and query, so components that ask for
 * the same thing share one request (`dedupe: 'defer'`) and one result, and a fresh result is reused
 * (FRESH_MS) instead of fetched again. `refresh()` always asks the server. `error` is the API's
 * message, and `data` keeps the last good value (or null): a failed load is never shown as empty.
 */
export function useApiData<T>(path: MaybeRefOrGetter<string>, opts: ApiDataOptions<T> = {}) {
  const api = useApi()
  const maxAge = opts.maxAge ?? FRESH_MS
  const key = computed(() => {
    const query = toValue(opts.query)
    return query ? `${toValue(path)}?${JSON.stringify(query)}` : toValue(path)
  })
  const read = opts.fetch ?? ((a, p, q) => a.get<T>(p, q))
  const { data, error, status, refresh } = useAsyncData<T | null>(key, async () => {
    const k = key.value
    const result = await read(api, toValue(path), toValue(opts.query))
    fetchedAt.set(k, Date.now())
    return result
  }, {
    default: () => null,
    dedupe: 'defer',
    // Reuse only on a page's first read (or a changed query), never on an explicit refresh.
    getCachedData: (k, nuxtApp, ctx) => {
      if (ctx.cause === 'refresh:manual' || ctx.cause === 'refresh:hook') return undefined
      const at = fetchedAt.get(k)
      return at !== undefined && Date.now() - at < maxAge ? nuxtApp.payload.data[k] : undefined
    },
  })
  return {
    data: data as Ref<T | null>,
    error: computed(() => errorText(error.value)),
    loading: computed(() => status.value === 'pending'),
    refresh: () => refresh(),
    /** When the shown data was read (null: not yet). */
    updatedAt: computed(() => {
      void status.value // re-read after each load
      return fetchedAt.get(key.value) ?? null
    }),
  }
}
