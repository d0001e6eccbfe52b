import { defineApiHandler } from '../../utils/api-handler'

/** GET /api/v1/me — who the caller is authenticated as. */
export default defineApiHandler(event => ({ ...event.context.actor! }))
