import type { ListResponse } from './api-types'

const SEARCH_DEBOUNCE_MS = 250
export const PAGE_SIZE = 25

type Filters = Record<string, string | number | undefined>

/**
 * A paged, searchable list endpoint (useApiData underneath: cached, shared, refreshed on demand).
 * `filters` (e.g. `{domain_id}`, or a getter over filter inputs) go into the query as well; a
 * changed search or filter starts again at page 1.
 */
export function useApiList<T>(path: string, filters: MaybeRefOrGetter<Filters> = {}, opts: { search?: boolean } = { search: true }) {
  const page = ref(1)
  const search = ref('')
  // What the query uses: the search box and filters once typing has paused.
  const settled = ref({ search: '', filters: toValue(filters) })
  let debounce: ReturnType<typeof setTimeout> | undefined
  watch([search, () => JSON.stringify(toValue(filters))], () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => {
      page.value = 1
      settled.value = { search: search.value.trim(), filters: toValue(filters) }
    }, SEARCH_DEBOUNCE_MS)
  })
  onBeforeUnmount(() => clearTimeout(debounce))

  const query = computed(() => ({
    ...Object.fromEntries(Object.entries(settled.value.filters).filter(([, v]) => v !== undefined && v !== '')),
    page: page.value,
    limit: PAGE_SIZE,
    ...(opts.search && settled.value.search && { search: settled.value.search }),
  }))
  const { data, error, loading, refresh } = useApiData<ListResponse<T>>(path, { query })

  // Deleting the last row of the last page: step back instead of showing an empty page.
  watch(data, (res) => {
    if (res && res.data.length === 0 && page.value > 1 && res.meta.total > 0) page.value = Math.ceil(res.meta.total / PAGE_SIZE)
  })

  const rows = computed(() => data.value?.data ?? [])
  // Unknown (undefined) until a page has arrived: a failed first load has no total, not a total of 0.
  const total = computed(() => data.value?.meta.total)
  const totalCapped = computed(() => data.value?.meta.total_capped)
  // What a paged AppTable shows, bound in one go: <AppTable v-model:page="page" v-bind="table" …>
  const table = reactive({ rows, total, totalCapped, loading, error, pageSize: PAGE_SIZE })
  return { rows, total, page, search, loading, error, refresh, pageSize: PAGE_SIZE, table }
}
