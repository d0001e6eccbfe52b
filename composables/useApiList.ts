import type { ListResponse } from './api-types'

const SEARCH_DEBOUNCE_MS = 250
export const PAGE_SIZE = 25

type Filters = Record<string, string | number | undefined>

/**
 * A paged, searchable list endpoint: page/search live here, the rows come from the API with
 * its total. `filters` (e.g. `{domain_id}`, or a getter over filter inputs) go into the query as well.
 */
export function useApiList<T>(path: string, filters: MaybeRefOrGetter<Filters> = {}, opts: { search?: boolean } = { search: true }) {
  const api = useApi()
  const rows = ref<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const search = ref('')
  const loading = ref(true)
  const error = ref('')

  async function refresh() {
    loading.value = true
    try {
      const set = Object.fromEntries(Object.entries(toValue(filters)).filter(([, v]) => v !== undefined && v !== ''))
      const query = { ...set, page: page.value, limit: PAGE_SIZE, ...(opts.search && search.value.trim() && { search: search.value.trim() }) }
      const res = await api.get<ListResponse<T>>(path, query)
      // Deleting the last row of the last page: step back instead of showing an empty page.
      if (res.data.length === 0 && page.value > 1 && res.meta.total > 0) {
        page.value = Math.ceil(res.meta.total / PAGE_SIZE)
        return
      }
      rows.value = res.data
      total.value = res.meta.total
      error.value = ''
    }
    catch (err) {
      error.value = err instanceof Error ? err.message : String(err)
    }
    finally {
      loading.value = false
    }
  }

  let debounce: ReturnType<typeof setTimeout> | undefined
  watch([search, () => JSON.stringify(toValue(filters))], () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => {
      if (page.value === 1) refresh()
      else page.value = 1
    }, SEARCH_DEBOUNCE_MS)
  })
  watch(page, refresh)
  onMounted(refresh)

  // What a paged AppTable shows, bound in one go: <AppTable v-model:page="page" v-bind="table" …>
  const table = reactive({ rows, total, loading, error, pageSize: PAGE_SIZE })
  return { rows, total, page, search, loading, error, refresh, pageSize: PAGE_SIZE, table }
}
