import type { Query } from './useApi'
import { ApiClientError } from './useApi'

/**
 * A read of a daemon's state (the Postfix queue, Dovecot's sessions). The daemon not installed
 * (409 CAPABILITY_MISSING) or not running (503) is a state of the server, not a failed read: it is
 * kept as the read's value, so it is cached and re-asked at the page's refresh pace like a good
 * answer (a failed read is retried every second, which on a page left open would use up the API's
 * per-minute budget). `data` is the answer when there is one; `error` the API's message otherwise.
 */
export function useServiceData<T>(path: string, opts: { query?: MaybeRefOrGetter<Query | undefined> } = {}) {
  const read = useApiData<T | { unavailable: string }>(path, {
    query: opts.query,
    fetch: async (client, p, query) => {
      try {
        return await client.get<T>(p, query)
      }
      catch (err) {
        if (err instanceof ApiClientError && (err.code === 'CAPABILITY_MISSING' || err.code === 'SERVICE_UNAVAILABLE')) return { unavailable: err.message }
        throw err
      }
    },
  })
  const answer = (value: unknown): value is { unavailable: string } => value !== null && typeof value === 'object' && 'unavailable' in value
  const data = computed(() => read.data.value && !answer(read.data.value) ? read.data.value as T : undefined)
  const error = computed(() => read.error.value || (answer(read.data.value) ? read.data.value.unavailable : ''))
  return { ...read, data, error }
}
