import { defineApiHandler } from '#server/request/api-handler'
import { getValidParam } from '#server/request/validate'
import { mailQueue } from '#server/services/queue/queue'
import { queueId } from '#shared/schemas/queue'

/** POST /api/v1/queue/:queueId/release — takes the message off hold (`postsuper -H`); it is delivered at the next queue run. */
export default defineApiHandler(event => mailQueue.release(getValidParam(event, 'queueId', queueId)))
