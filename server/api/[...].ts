// The dashboard's typed $fetch pulls this file into the app's type check too, which does not
// include server/types: the declaration of the build-time module must come along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../types/api-routes.d.ts" />
import { defineEventHandler } from 'h3'
import routes from '#api-routes'
import { ApiError } from '#server/utils/errors'
import { requestPath } from '#server/utils/request-path'

const table = routes.map(({ pattern, methods }) => ({ pattern: new RegExp(pattern), methods }))

/** The methods a path answers to (HEAD wherever GET is), from the route table built from the handler files. */
function allowedMethods(path: string): string[] {
  const methods = new Set<string>()
  for (const route of table) if (route.pattern.test(path)) route.methods.forEach(m => methods.add(m))
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}

/** Any /api or /auth request no handler took: 405 with `Allow` on a known path, else a JSON 404 (not the dashboard's HTML page). */
export default defineEventHandler((event) => {
  const allow = allowedMethods(requestPath(event))
  if (allow.length) {
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed', `${event.method} is not allowed here; this path accepts ${allow.join(', ')}.`, { Allow: allow.join(', ') })
  }
  throw new ApiError(404, 'ROUTE_NOT_FOUND', 'Not found', 'No API endpoint at this path; see the API section of the README.')
})
