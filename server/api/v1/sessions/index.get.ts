import { defineApiHandler } from '#server/request/api-handler'
import { sessions } from '#server/services/sessions/sessions'

/** GET /api/v1/sessions — Dovecot's connected users (user, protocol, remote IP, connections, pids) from `doveadm who`. */
export default defineApiHandler(() => sessions.list())
