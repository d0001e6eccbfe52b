import { mailstackDb } from '#server/db/queries/mailstack'
import { defineApiHandler } from '#server/request/api-handler'

/** GET /api/v1/config/mailstack — where Postfix and Dovecot listen (rendered by the reconciler). */
export default defineApiHandler(() => mailstackDb.getSettings())
