import * as v from 'valibot'
import { defineApiHandler } from '../../../utils/api-handler'
import { audit } from '../../../utils/audit'
import { pageQueryEntries, respond } from '../../../utils/respond'
import { getValidQuery } from '../../../utils/validate'

const query = v.strictObject({
  ...pageQueryEntries,
  actor: v.optional(v.pipe(v.string(), v.maxLength(200))),
  action: v.optional(v.pipe(v.string(), v.maxLength(200))),
  since: v.optional(v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 timestamp such as 2026-05-28T00:00:00Z'), v.transform(s => new Date(s)))),
})

/** GET /api/v1/admin/audit-log — audit entries newest first; filters `actor`, `action` (substring), `since`. */
export default defineApiHandler(async (event) => {
  const { page, limit, ...filter } = getValidQuery(event, query)
  const entries = await audit.read(filter)
  return respond.list(entries.slice((page - 1) * limit, page * limit), { page, limit }, entries.length)
}, { query: true })
