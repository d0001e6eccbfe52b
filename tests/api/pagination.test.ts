import { beforeAll, describe, expect, it } from 'vitest'
import { api, createAlias, createDomain, createMailbox, type ApiResponse, type ListBody } from '../support/client'
import { expectValidation } from '../support/expect'

interface Row {
  id: number
}

const ROWS = 25
const PAGE_SIZE = 10
const ENDPOINTS = ['/api/v1/domains', '/api/v1/mailboxes', '/api/v1/aliases']

const BAD_QUERIES: [string, string][] = [
  ['limit=0', 'limit'],
  ['limit=501', 'limit'],
  ['limit=-1', 'limit'],
  ['limit=abc', 'limit'],
  ['limit=1.5', 'limit'],
  ['limit=', 'limit'],
  ['limit=1e2', 'limit'],
  ['limit=1&limit=2', 'limit'],
  ['page=0', 'page'],
  ['page=abc', 'page'],
  ['page=-1', 'page'],
  ['page=2.5', 'page'],
  ['page=', 'page'],
  ['page=99999999999999999999', 'page'],
]

const list = (path: string, query: string) => api<ListBody<Row>>(`${path}?${query}`)

/** A `?search=` adds `total_capped` (false here: these lists are far below the 1,000 cap). */
function expectListShape(res: ApiResponse<ListBody<Row>>, page: number, limit: number, searched = false): void {
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(Object.keys(res.body).sort()).toEqual(['data', 'meta'])
  expect(Array.isArray(res.body.data)).toBe(true)
  expect(res.body.meta).toEqual({ page, limit, total: expect.any(Number), ...(searched ? { total_capped: false } : {}) })
  expect(res.body.data.length).toBeLessThanOrEqual(limit)
}

/** Walks every page of `query` with `limit` per page; returns the ids page by page and the totals seen. */
async function walk(path: string, query: string, limit: number): Promise<{ pages: number[][], totals: number[] }> {
  const pages: number[][] = []
  const totals: number[] = []
  for (let page = 1; page <= 100; page++) {
    const res = await list(path, `${query}&page=${page}&limit=${limit}`)
    expectListShape(res, page, limit, /(^|&)search=/.test(query))
    totals.push(res.body.meta.total)
    if (res.body.data.length === 0) break
    pages.push(res.body.data.map(r => r.id))
  }
  return { pages, totals }
}

function expectCoverage(result: { pages: number[][], totals: number[] }, ids: number[], limit: number): void {
  const all = result.pages.flat()
  expect(new Set(all).size, 'pages overlap').toBe(all.length)
  expect([...all].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b))
  expect(result.pages.map(p => p.length)).toEqual(Array.from({ length: Math.ceil(ids.length / limit) }, (_, i) => Math.min(limit, ids.length - i * limit)))
  expect(new Set(result.totals)).toEqual(new Set([ids.length]))
}

describe.each(ENDPOINTS)('%s paging parameters', (path) => {
  it('defaults to page 1, limit 50', async () => {
    const res = await list(path, '')
    expectListShape(res, 1, 50)
  })

  it.each([1, 2, 50, 499, 500])('accepts limit=%i', async (limit) => {
    const res = await list(path, `limit=${limit}`)
    expectListShape(res, 1, limit)
  })

  it('echoes page and limit together', async () => {
    expectListShape(await list(path, 'page=3&limit=7'), 3, 7)
  })

  it.each(BAD_QUERIES)('rejects %s with 400 VALIDATION_FAILED', async (query, field) => {
    expectValidation(await list(path, query), field)
  })

  it('rejects unknown query parameters', async () => {
    expectValidation(await list(path, 'sort=name'), 'sort')
    expectValidation(await list(path, 'page=1&offset=10'), 'offset')
  })

  it('a page far past the end is empty, with the real total', async () => {
    const total = (await list(path, 'limit=1')).body.meta.total
    const res = await list(path, 'page=10000000&limit=500')
    expectListShape(res, 10_000_000, 500)
    expect(res.body.data).toEqual([])
    expect(res.body.meta.total).toBeGreaterThanOrEqual(total)
  })
})

describe('walking the pages of one domain\'s rows', () => {
  let domainId: number
  let mailboxIds: number[]
  let aliasIds: number[]

  beforeAll(async () => {
    const d = await createDomain()
    domainId = d.id
    mailboxIds = await Promise.all(Array.from({ length: ROWS }, (_, i) => createMailbox(d.id, `user${i}`)))
    aliasIds = []
    for (let i = 0; i < ROWS; i++) aliasIds.push(await createAlias(d.id, `alias${i}`))
  })

  it('mailboxes: pages of 10 neither overlap nor miss a row', async () => {
    expectCoverage(await walk('/api/v1/mailboxes', `domain_id=${domainId}`, PAGE_SIZE), mailboxIds, PAGE_SIZE)
  })

  it('aliases: pages of 10 neither overlap nor miss a row', async () => {
    expectCoverage(await walk('/api/v1/aliases', `domain_id=${domainId}`, PAGE_SIZE), aliasIds, PAGE_SIZE)
  })

  it('one row per page works too', async () => {
    expectCoverage(await walk('/api/v1/mailboxes', `domain_id=${domainId}`, 1), mailboxIds, 1)
  })

  it('a page just past the end returns data [] with the right total', async () => {
    for (const path of ['/api/v1/mailboxes', '/api/v1/aliases']) {
      const res = await list(path, `domain_id=${domainId}&page=4&limit=${PAGE_SIZE}`)
      expect(res.body).toEqual({ data: [], meta: { page: 4, limit: PAGE_SIZE, total: ROWS } })
    }
  })

  it('the last partial page holds the remainder', async () => {
    const res = await list('/api/v1/mailboxes', `domain_id=${domainId}&page=3&limit=${PAGE_SIZE}`)
    expect(res.body.meta).toEqual({ page: 3, limit: PAGE_SIZE, total: ROWS })
    expect(res.body.data).toHaveLength(ROWS - 2 * PAGE_SIZE)
  })

  it('the default page holds all 25 rows', async () => {
    const res = await list('/api/v1/mailboxes', `domain_id=${domainId}`)
    expect(res.body.meta).toEqual({ page: 1, limit: 50, total: ROWS })
    expect(res.body.data).toHaveLength(ROWS)
  })
})

describe('walking the pages of domains', () => {
  it('pages of 5 over a search neither overlap nor miss a domain', async () => {
    const token = `pg${Date.now().toString(36)}${process.pid}`
    const ids: number[] = []
    for (let i = 0; i < 12; i++) ids.push((await createDomain(`d${i}.${token}.example`)).id)
    expectCoverage(await walk('/api/v1/domains', `search=${token}`, 5), ids, 5)
    const past = await list('/api/v1/domains', `search=${token}&page=4&limit=5`)
    expect(past.body).toEqual({ data: [], meta: { page: 4, limit: 5, total: 12, total_capped: false } })
  })
})
