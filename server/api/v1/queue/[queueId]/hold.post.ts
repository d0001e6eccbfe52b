import { defineApiHandler } from '#server/request/api-handler'
import { getValidParam } from '#server/request/validate'
import { mailQueue } from '#server/services/queue/queue'
import { queueId } from '#shared/schemas/queue'

/** POST /api/v1/queue/:queueId/hold — moves the message to the hold queue (`postsuper -h`): no delivery until released. */
export default defineApiHandler(event => mailQueue.hold(getValidParam(event, 'queueId', queueId)))
