import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { audit } from '#server/services/audit/audit'
import { pageQueryEntries, respond } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'

const SINCE_MESSAGE = 'must be an ISO 8601 timestamp such as 2026-05-28T00:00:00Z'

/** `Date` would roll 2026-02-30 over into March; a calendar date that does not exist is an error. */
function isRealDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d
}

const query = v.strictObject({
  ...pageQueryEntries,
  actor: v.optional(v.pipe(v.string(), v.maxLength(200))),
  action: v.optional(v.pipe(v.string(), v.maxLength(200))),
  since: v.optional(v.pipe(v.string(), v.isoTimestamp(SINCE_MESSAGE), v.check(isRealDate, SINCE_MESSAGE), v.transform(s => new Date(s)))),
})

/** GET /api/v1/admin/audit-log — audit entries newest first; filters `actor`, `action` (substring), `since`. */
export default defineApiHandler(async (event) => {
  const { page, limit, ...filter } = getValidQuery(event, query)
  const entries = await audit.read(filter)
  return respond.list(entries.slice((page - 1) * limit, page * limit), { page, limit }, entries.length)
}, { query: true })
