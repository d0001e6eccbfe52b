import * as v from 'valibot'
import { defineApiHandler } from '#server/request/api-handler'
import { pageQueryEntries } from '#server/request/respond'
import { getValidQuery } from '#server/request/validate'
import { mailQueue } from '#server/services/queue/queue'
import { queueFilterEntries } from '#shared/schemas/queue'

const query = v.strictObject({ ...pageQueryEntries, ...queueFilterEntries })

/** GET /api/v1/queue — the Postfix queue, paged (`{data, meta, queues}`: per-queue counts); filters `?queue=`, `?q=` (sender or recipient substring). */
export default defineApiHandler(async (event) => {
  const { page, limit, queue, q } = getValidQuery(event, query)
  return mailQueue.list({ queue, q: q || undefined }, { page, limit })
}, { query: true })
