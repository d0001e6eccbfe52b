import { defineApiHandler } from '#server/request/api-handler'
import { getValidParam } from '#server/request/validate'
import { mailQueue } from '#server/services/queue/queue'
import { queueId } from '#shared/schemas/queue'

/** DELETE /api/v1/queue/:queueId — removes the message from the queue (`postsuper -d`); it is never delivered. */
export default defineApiHandler(event => mailQueue.remove(getValidParam(event, 'queueId', queueId)))
