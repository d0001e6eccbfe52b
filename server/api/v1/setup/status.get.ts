import { defineApiHandler } from '../../../utils/api-handler'
import { useConfig } from '../../../utils/config'

/** GET /api/v1/setup/status — `{complete}`: whether config.env has an admin password (public: the dashboard asks before sign-in). */
export default defineApiHandler(() => ({ complete: Boolean(useConfig().adminPasswordHash) }), { public: true })
