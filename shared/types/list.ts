/** `?page=N&limit=N` after validation. */
export interface Page {
  page: number
  limit: number
}

/** Every list endpoint: `{data, meta:{page,limit,total}}` (SPEC §2a). */
export interface ListEnvelope<T> {
  data: T[]
  meta: { page: number, limit: number, total: number }
}

/** Every mutation: `{message}`, plus the new row's `id` on a create. */
export interface MessageResponse {
  message: string
  id?: number
}
