/** `?page=N&limit=N` after validation. */
export interface Page {
  page: number
  limit: number
}

/**
 * Every list endpoint: `{data, meta:{page,limit,total}}` (SPEC §2a). A `?search=` of domains,
 * mailboxes or aliases counts at most 1,000 matches: beyond that `total` is 1000 and `total_capped`
 * true (the pages past it still come back).
 */
export interface ListEnvelope<T> {
  data: T[]
  meta: { page: number, limit: number, total: number, total_capped?: boolean }
}

/** One page of rows as the database layer returns it; `capped` as `meta.total_capped`. */
export interface ListPage<T> {
  rows: T[]
  total: number
  capped?: boolean
}

/** Every mutation: `{message}`, plus the new row's `id` on a create. */
export interface MessageResponse {
  message: string
  id?: number
}
