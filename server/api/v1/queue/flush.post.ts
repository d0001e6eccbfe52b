import { defineApiHandler } from '#server/request/api-handler'
import { respond } from '#server/request/respond'
import { mailQueue } from '#server/services/queue/queue'

/** POST /api/v1/queue/flush — every deferred message is tried now (`postqueue -f`); held mail stays held. */
export default defineApiHandler(async () => {
  await mailQueue.flush()
  return respond.message('Queue flushed: deferred mail is being delivered now (held mail stays on hold)')
})
