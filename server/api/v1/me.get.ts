import { defineApiHandler } from '#server/request/api-handler'
import type { Actor } from '#shared/types/access'

/** GET /api/v1/me — who the caller is authenticated as. */
export default defineApiHandler((event): Actor => {
  const { kind, name } = event.context.actor!
  return { kind, name }
})
