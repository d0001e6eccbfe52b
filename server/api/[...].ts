import { defineEventHandler } from 'h3'
import { ApiError } from '#server/utils/errors'

/** Any unknown /api path: a JSON 404, not the dashboard's HTML page. */
export default defineEventHandler(() => {
  throw new ApiError(404, 'ROUTE_NOT_FOUND', 'Not found', 'No API endpoint at this path; see the API section of the README.')
})
