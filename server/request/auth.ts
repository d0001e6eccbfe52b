import type { H3Event } from 'h3'
import { getCookie, getHeader } from 'h3'
import { SignJWT, jwtVerify } from 'jose'
import { apiTokens } from '#server/services/access/api-tokens'
import { useConfig } from '#server/utils/config'
import { ApiError, apiErrors } from '#server/utils/errors'
import { IpList } from '#server/utils/ip'
import { safeEqual, sha256Hex } from '#server/utils/secrets'
import { securitySettings } from '#server/services/access/security-settings'
import type { Actor as WireActor } from '#shared/types/access'

export const SESSION_COOKIE = 'mailpanel_session'
export const SESSION_TTL_SECONDS = 12 * 60 * 60
const ISSUER = 'backendside-mailpanel'
const SESSION_ALG = 'HS256'
// Clocks of two nodes sharing the database may differ a little; a session is never stretched further.
const CLOCK_SKEW_SECONDS = 60

/** Who is making the request; handlers and the audit log read it from `event.context.actor`. */
export interface Actor extends WireActor {
  /** The managed token's id when kind is 'token'. */
  tokenId?: number
}

export const ipNotAllowed = (list: string) =>
  new ApiError(403, 'IP_NOT_ALLOWED', 'Address not allowed', `Requests from this IP address are not in the ${list}; ask an administrator to add it.`)

declare module 'h3' {
  interface H3EventContext {
    actor?: Actor
  }
}

// The session cookie's verdict, worked out once per request: the rate limiter (which bucket) and the
// handler wrapper (who is calling) both ask.
const cookieVerdicts = new WeakMap<H3Event, Promise<Actor | undefined>>()

// METRICS_ALLOW compiled once per config (a config reload makes a new entries array).
let metricsAllow: { entries: string[], list: IpList } | undefined
const metricsAllowList = (entries: string[]) => {
  if (metricsAllow?.entries !== entries) metricsAllow = { entries, list: new IpList(entries) }
  return metricsAllow.list
}

const secretKey = () => new TextEncoder().encode(useConfig().jwtSecret)

// Sessions carry a fingerprint of the admin's password hash: changing the password ends them all.
const passwordVersion = () => sha256Hex(useConfig().adminPasswordHash ?? '').slice(0, 16)

export const auth = {
  async issueSession(username: string): Promise<{ token: string, expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000)
    const token = await new SignJWT({ pwv: passwordVersion() })
      .setProtectedHeader({ alg: SESSION_ALG })
      .setSubject(username)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(secretKey())
    return { token, expiresAt }
  },

  async verifySession(token: string): Promise<Actor | undefined> {
    try {
      // Only sessions this server could have issued: our alg and issuer, an expiry, and a lifetime no
      // longer than SESSION_TTL_SECONDS (a token signed with the secret but without exp is refused).
      const { payload } = await jwtVerify(token, secretKey(), {
        algorithms: [SESSION_ALG],
        issuer: ISSUER,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: SESSION_TTL_SECONDS + CLOCK_SKEW_SECONDS,
        clockTolerance: CLOCK_SKEW_SECONDS,
      })
      if (payload.exp! - payload.iat! > SESSION_TTL_SECONDS + CLOCK_SKEW_SECONDS) return undefined
      if (payload.sub !== useConfig().adminUser || payload.pwv !== passwordVersion()) return undefined
      return { kind: 'session', name: payload.sub }
    }
    catch {
      return undefined
    }
  },

  /** The session the request's cookie proves (undefined: no cookie, or not a valid one); verified once per request. */
  cookieSession(event: H3Event): Promise<Actor | undefined> {
    let verdict = cookieVerdicts.get(event)
    if (!verdict) {
      const cookie = getCookie(event, SESSION_COOKIE)
      verdict = cookie ? auth.verifySession(cookie) : Promise.resolve(undefined)
      cookieVerdicts.set(event, verdict)
    }
    return verdict
  },

  /** A managed token (`bsmp_…`), else the legacy API_KEY from config.env. */
  async verifyApiKey(key: string): Promise<Actor | undefined> {
    const token = await apiTokens.verify(key)
    if (token) return { kind: 'token', name: `token:${token.name}`, tokenId: token.id }
    const legacy = useConfig().apiKey
    if (legacy && safeEqual(key, legacy)) return { kind: 'api_key', name: 'API_KEY' }
    return undefined
  },

  /**
   * GET /metrics: `Authorization: Bearer <METRICS_TOKEN>` (config.env), a credential a scraper can
   * hold without being able to change anything, gated by api_key_whitelist like every automation
   * credential; otherwise an admin's credentials as for the API (`authenticate`), so an admin can
   * look too. A managed token works as well, but grants the whole API: METRICS_TOKEN is the one to
   * give Prometheus. A scraper at an address METRICS_ALLOW lists needs no credential at all (the
   * allowlist-only mode for a monitoring network); a request carrying one is still checked.
   */
  async authorizeMetrics(event: H3Event): Promise<void> {
    const config = useConfig()
    const authorization = getHeader(event, 'authorization')
    if (config.metricsAllow.length && authorization === undefined && getHeader(event, 'x-api-key') === undefined) {
      const ip = await securitySettings.clientIp(event)
      if (metricsAllowList(config.metricsAllow).includes(ip)) return
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1]
    const token = config.metricsToken
    if (bearer && token && safeEqual(bearer, token)) {
      const settings = await securitySettings.get()
      if (!settings.apiKeyList.allows(await securitySettings.clientIp(event))) throw ipNotAllowed('api_key_whitelist')
      return
    }
    await auth.authenticate(event)
  },

  /**
   * X-API-Key (which then decides alone), else `Authorization: Bearer`, else the session cookie; a
   * wrong credential is a 401. A request from an address outside its allowlist is a 403 before any
   * credential is checked: X-API-Key requests are gated by api_key_whitelist, sessions by
   * admin_login_whitelist.
   */
  async authenticate(event: H3Event): Promise<Actor> {
    const settings = await securitySettings.get()
    const ip = await securitySettings.clientIp(event)
    const apiKey = getHeader(event, 'x-api-key')
    if (apiKey !== undefined) {
      // The address is checked first, so an outsider cannot even learn whether a key is valid.
      if (!settings.apiKeyList.allows(ip)) throw ipNotAllowed('api_key_whitelist')
      const actor = await auth.verifyApiKey(apiKey)
      if (!actor) throw apiErrors.unauthorized('The X-API-Key is not valid.')
      return actor
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(getHeader(event, 'authorization') ?? '')?.[1]
    if (!bearer && !getCookie(event, SESSION_COOKIE)) throw apiErrors.unauthorized()
    if (!settings.adminList.allows(ip)) throw ipNotAllowed('admin_login_whitelist')
    const actor = bearer ? await auth.verifySession(bearer) : await auth.cookieSession(event)
    if (!actor) throw apiErrors.unauthorized('The session is invalid or has expired; sign in again.')
    return actor
  },
}
