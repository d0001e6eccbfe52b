import { defineApiHandler } from '#server/request/api-handler'
import { getValidQuery } from '#server/request/validate'
import { webmail } from '#server/services/webmail/webmail'
import { webmailLogsQuery } from '#shared/schemas/webmail'

/** GET /api/v1/webmail/logs?lines=50|150|500|1000&q= — the companion's newest log lines (its file, else its unit's journal); `q` a literal substring. */
export default defineApiHandler(event => webmail.readLogs(getValidQuery(event, webmailLogsQuery)), { query: true })
