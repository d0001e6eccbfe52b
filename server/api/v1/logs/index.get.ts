import { logsQuery } from '#shared/schemas/logs'
import { defineApiHandler } from '#server/request/api-handler'
import { getValidQuery } from '#server/request/validate'
import { logs } from '#server/services/logs/logs'

/** GET /api/v1/logs?service=postfix|dovecot&lines=50|150|500|1000&q= — the newest lines (oldest first), each with its time and level; `q` a literal substring. */
export default defineApiHandler(event => logs.read(getValidQuery(event, logsQuery)), { query: true })
