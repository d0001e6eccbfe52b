import * as v from 'valibot'
import type { Page } from '#shared/types/list'
import { defineApiHandler } from './api-handler'
import { pageQueryEntries, respond } from './respond'
import { getValidQuery } from './validate'

const pageOnly = v.strictObject(pageQueryEntries)

/** A GET of a list that takes only `?page=&limit=`: `list(page)` → `{data, meta:{page,limit,total}}`. */
export function definePagedList<T>(list: (page: Page) => Promise<{ rows: T[], total: number }>) {
  return defineApiHandler(async (event) => {
    const page = getValidQuery(event, pageOnly)
    const { rows, total } = await list(page)
    return respond.list(rows, page, total)
  }, { query: true })
}
