import type { ListResponse } from './api-types'

/**
 * A short list endpoint read whole (a domain's DKIM keys, the spam whitelist), shared and cached
 * like every read (useApiData). `rows` is the list, empty until loaded: the table shows the load
 * error itself, so a failed load never looks like an empty list.
 */
export function useItemList<T>(path: string) {
  const read = useApiData<T[]>(path, { fetch: async (api, p, q) => (await api.get<ListResponse<T>>(p, q)).data })
  return { ...read, rows: computed(() => read.data.value ?? []) }
}
