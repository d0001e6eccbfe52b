import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { getValidQuery } from '#server/request/validate'
import { mailstats } from '#server/services/mailstats/mailstats'
import { MAIL_STATS_RANGES } from '#shared/types/mailstats-api'

const querySchema = v.strictObject({
  range: v.optional(v.picklist(MAIL_STATS_RANGES, `must be one of ${MAIL_STATS_RANGES.join(', ')}`), '24h'),
})

/** GET /api/v1/stats/mail — last hour and last 24 h, a `?range=` series (1h, 24h, 7d, 30d) and the top senders. */
export default defineApiHandler(async (event) => {
  const { range } = getValidQuery(event, querySchema)
  return mailstats.report(range)
}, { query: true })
