import type { EventHandlerRequest, H3Event } from 'h3'
import { defineEventHandler, getQuery, getResponseStatus, setResponseStatus } from 'h3'
import { audit } from '#server/services/audit/audit'
import { auth } from './auth'
import { waitForDatabase } from '#server/db/use'
import { apiErrors, toApiError } from '#server/utils/errors'
import { hasRequestBody, payloadTooLarge } from '#server/utils/body'
import { requestPath } from '#server/utils/request-path'
import { securitySettings } from '#server/services/access/security-settings'

// How long a request waits for the database during start-up before answering 503.
const STARTUP_WAIT_MS = 5_000
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// No endpoint reads a body on these methods: one sent anyway is refused and its connection closed.
const BODILESS = new Set(['GET', 'HEAD', 'DELETE'])

interface ApiHandlerOptions {
  /** Skip authentication (sign-in, health). */
  public?: boolean
  /** Status for a successful response (e.g. 201 for creates); without it, what the handler set (setResponseStatus), else 200. */
  status?: number
  /** The handler validates its own query (getValidQuery); every other endpoint refuses query parameters. */
  query?: boolean
}

/** `DELETE /api/v1/domains/7` → action `DELETE /api/v1/domains/:id`, target `7`; a create's target is the new id; a handler may name it (auditTarget). */
function describe(event: H3Event, result: unknown): { action: string, target: string } {
  const path = requestPath(event).replace(/\/+$/, '')
  const ids = path.match(/\/\d+(?=\/|$)/g)?.map(s => s.slice(1)) ?? []
  const created = (result as { id?: unknown } | undefined)?.id
  // A route parameter that is not a numeric id (a Postfix queue id): `:queueId` in the action, its value the target.
  const named = Object.entries(event.context.params ?? {}).filter(([name, value]) => name !== '_' && value && !/^\d+$/.test(value))
  let action = path.replace(/\/\d+(?=\/|$)/g, '/:id')
  for (const [name, value] of named) action = action.replace(`/${value}`, `/:${name}`)
  return {
    action: `${event.method} ${action}`,
    target: event.context.auditTarget ?? named.at(-1)?.[1] ?? ids.at(-1) ?? (created === undefined ? '' : String(created)),
  }
}

async function record(event: H3Event, status: number, result?: unknown): Promise<void> {
  const { action, target } = describe(event, result)
  await audit.append({
    time: new Date().toISOString(),
    actor: event.context.actor?.name ?? event.context.auditActor ?? 'anonymous',
    action,
    target,
    ip: await securitySettings.clientIp(event),
    status,
  })
}

declare module 'h3' {
  interface H3EventContext {
    /** Who a not-yet-authenticated request claims to be (the username of a sign-in attempt). */
    auditActor?: string
    /** What a mutation acts on when its path has no id (the user a session kick disconnects). */
    auditTarget?: string
  }
}

/**
 * Every /api/v1 handler: authenticate first (a stranger gets 401, not 400), then the handler runs.
 * Mutating requests, failed or not, are written to the audit log before the response leaves.
 * Errors propagate to server/error.ts, which writes the one error envelope.
 */
export function defineApiHandler<T>(handler: (event: H3Event<EventHandlerRequest>) => T | Promise<T>, options: ApiHandlerOptions = {}) {
  return defineEventHandler(async (event) => {
    const audited = MUTATING.has(event.method)
    try {
      if (!options.public) event.context.actor = await auth.authenticate(event)
      if (BODILESS.has(event.method) && hasRequestBody(event)) throw payloadTooLarge(event, `A ${event.method} request takes no body.`)
      if (!options.query && event.path.includes('?')) {
        const unexpected = Object.keys(getQuery(event))
        if (unexpected.length) throw apiErrors.validation(`${unexpected.join(', ')}: this endpoint takes no query parameters`)
      }
      await waitForDatabase(STARTUP_WAIT_MS)
      const result = await handler(event)
      const status = options.status ?? getResponseStatus(event)
      setResponseStatus(event, status)
      if (audited) await record(event, status, result)
      return result
    }
    catch (err) {
      if (audited) await record(event, toApiError(err).status)
      throw err
    }
  })
}
