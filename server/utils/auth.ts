import type { H3Event } from 'h3'
import { getCookie, getHeader } from 'h3'
import { SignJWT, jwtVerify } from 'jose'
import { useConfig } from './config'
import { apiErrors } from './errors'
import { safeEqual, sha256Hex } from './secrets'

export const SESSION_COOKIE = 'mailpanel_session'
export const SESSION_TTL_SECONDS = 12 * 60 * 60
const ISSUER = 'backendside-mailpanel'

/** Who is making the request; handlers and the audit log read it from `event.context.actor`. */
export interface Actor {
  kind: 'session' | 'api_key'
  name: string
}

declare module 'h3' {
  interface H3EventContext {
    actor?: Actor
  }
}

const secretKey = () => new TextEncoder().encode(useConfig().jwtSecret)

// Sessions carry a fingerprint of the admin's password hash: changing the password ends them all.
const passwordVersion = () => sha256Hex(useConfig().adminPasswordHash ?? '').slice(0, 16)

export const auth = {
  async issueSession(username: string): Promise<{ token: string, expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000)
    const token = await new SignJWT({ pwv: passwordVersion() })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(username)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(secretKey())
    return { token, expiresAt }
  },

  async verifySession(token: string): Promise<Actor | undefined> {
    try {
      const { payload } = await jwtVerify(token, secretKey(), { algorithms: ['HS256'], issuer: ISSUER })
      if (payload.sub !== useConfig().adminUser || payload.pwv !== passwordVersion()) return undefined
      return { kind: 'session', name: payload.sub }
    }
    catch {
      return undefined
    }
  },

  verifyApiKey(key: string): Actor | undefined {
    const legacy = useConfig().apiKey
    if (legacy && safeEqual(key, legacy)) return { kind: 'api_key', name: 'API_KEY' }
    return undefined
  },

  /** X-API-Key (which then decides alone), else `Authorization: Bearer`, else the session cookie; a wrong credential is a 401. */
  async authenticate(event: H3Event): Promise<Actor> {
    const apiKey = getHeader(event, 'x-api-key')
    if (apiKey !== undefined) {
      const actor = auth.verifyApiKey(apiKey)
      if (!actor) throw apiErrors.unauthorized('The X-API-Key is not valid.')
      return actor
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(getHeader(event, 'authorization') ?? '')?.[1]
    const token = bearer ?? getCookie(event, SESSION_COOKIE)
    if (!token) throw apiErrors.unauthorized()
    const actor = await auth.verifySession(token)
    if (!actor) throw apiErrors.unauthorized('The session is invalid or has expired; sign in again.')
    return actor
  },
}
