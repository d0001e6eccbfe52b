import type { EventHandlerRequest, H3Event } from 'h3'
import { defineEventHandler, getQuery, setResponseStatus } from 'h3'
import { auth } from './auth'
import { waitForDatabase } from './db'
import { apiErrors } from './errors'

// How long a request waits for the database during start-up before answering 503.
const STARTUP_WAIT_MS = 5_000

interface ApiHandlerOptions {
  /** Skip authentication (sign-in, health). */
  public?: boolean
  /** Status for a successful response (e.g. 201 for creates). */
  status?: number
  /** The handler validates its own query (getValidQuery); every other endpoint refuses query parameters. */
  query?: boolean
}

/**
 * Every /api/v1 handler: authenticate first (a stranger gets 401, not 400), then the handler runs.
 * Errors propagate to server/error.ts, which writes the one error envelope.
 */
export function defineApiHandler<T>(handler: (event: H3Event<EventHandlerRequest>) => T | Promise<T>, options: ApiHandlerOptions = {}) {
  return defineEventHandler(async (event) => {
    if (!options.public) event.context.actor = await auth.authenticate(event)
    if (!options.query) {
      const unexpected = Object.keys(getQuery(event))
      if (unexpected.length) throw apiErrors.validation(`${unexpected.join(', ')}: this endpoint takes no query parameters`)
    }
    await waitForDatabase(STARTUP_WAIT_MS)
    const result = await handler(event)
    if (options.status) setResponseStatus(event, options.status)
    return result
  })
}
