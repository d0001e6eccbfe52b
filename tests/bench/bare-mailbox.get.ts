import { mailboxesDb } from '#server/db/queries/mailboxes'
import { waitForDatabase } from '#server/db/use'
import { apiErrors } from '#server/utils/errors'
import { getIdParam } from '#server/request/validate'

const STARTUP_WAIT_MS = 5_000

/**
 * Bench-only (never in the shipped build): GET /api/v1/mailboxes/:id's work with the middleware
 * chain left out — no authentication, rate limit, allowlist, query check or audit.
 */
export default defineEventHandler(async (event) => {
  await waitForDatabase(STARTUP_WAIT_MS)
  const mailbox = await mailboxesDb.get(getIdParam(event))
  if (!mailbox) throw apiErrors.notFound('MAILBOX')
  return mailbox
})
