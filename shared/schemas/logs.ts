import * as v from 'valibot'

// GET /api/v1/logs: which daemon, how many lines, and a literal filter. The dashboard's pickers offer the same lists.

export const LOG_SERVICES = ['postfix', 'dovecot'] as const
/** The line counts SPEC §3 names; anything else (a huge number included) is a 400. */
export const LOG_LINE_COUNTS = [50, 150, 500, 1000] as const
export const DEFAULT_LOG_LINES: typeof LOG_LINE_COUNTS[number] = 150
export const MAX_LOG_QUERY = 200

export const logService = v.picklist(LOG_SERVICES, 'must be postfix or dovecot')
export type LogService = v.InferOutput<typeof logService>

export const logsQuery = v.strictObject({
  service: v.optional(logService, 'postfix'),
  lines: v.pipe(
    v.optional(v.string('must be one of 50, 150, 500, 1000'), String(DEFAULT_LOG_LINES)),
    v.picklist(LOG_LINE_COUNTS.map(String), 'must be one of 50, 150, 500, 1000'),
    v.transform(Number),
  ),
  /** A literal, case-insensitive substring: never read as a regular expression. */
  q: v.optional(v.pipe(v.string('must be a string'), v.maxLength(MAX_LOG_QUERY, `must be at most ${MAX_LOG_QUERY} characters`)), ''),
})
export type LogsQuery = v.InferOutput<typeof logsQuery>
