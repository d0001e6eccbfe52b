import * as v from 'valibot'
import type { ListEnvelope, Page } from '#shared/types/list'

export const MAX_PAGE_LIMIT = 500
export const DEFAULT_PAGE_LIMIT = 50

const queryInt = (min: number, max: number, fallback: number) => v.pipe(
  v.optional(v.string(), String(fallback)),
  v.regex(/^\d{1,9}$/, 'must be a whole number'),
  v.transform(Number),
  v.minValue(min, `must be at least ${min}`),
  v.maxValue(max, `must be at most ${max}`),
)

/** `?page=N&limit=N`: page from 1, limit 1..500 (default 50). Spread into each list's query schema. */
export const pageQueryEntries = {
  page: queryInt(1, 10_000_000, 1),
  limit: queryInt(1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT),
}

/** `?domain_id=N`: a positive int4, as a route id would be. */
export const idQueryParam = v.optional(v.pipe(
  v.string(),
  v.regex(/^[1-9]\d{0,9}$/, 'must be a positive integer'),
  v.transform(Number),
  v.maxValue(2_147_483_647, 'is too large'),
))

/** GET /mailboxes and /aliases: a page, optionally one domain's, optionally matching `?search=`. */
export const directoryListQuery = v.strictObject({
  ...pageQueryEntries,
  domain_id: idQueryParam,
  search: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(320))),
})

export const respond = {
  list: <T>(data: T[], page: Page, total: number, capped?: boolean): ListEnvelope<T> =>
    ({ data, meta: { page: page.page, limit: page.limit, total, ...(capped === undefined ? {} : { total_capped: capped }) } }),
  message: <E extends object>(message: string, extra?: E) => ({ message, ...extra }),
}
