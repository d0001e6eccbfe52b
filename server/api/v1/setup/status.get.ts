import { defineApiHandler } from '#server/request/api-handler'
import { useConfig } from '#server/utils/config'

/** GET /api/v1/setup/status — `{complete}`: whether config.env has an admin password (public: the dashboard asks before sign-in). */
export default defineApiHandler(() => ({ complete: Boolean(useConfig().adminPasswordHash) }), { public: true })
