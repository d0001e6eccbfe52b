import type { H3Event } from 'h3'
import { securityDb } from '#server/db/queries/security'
import { databaseInfo } from '#server/db/use'
import { clientIp, IpList } from '#server/utils/ip'
import type { SecuritySettings as SecuritySettingsRow } from '#shared/types/access'

declare module 'h3' {
  interface H3EventContext {
    /** Set once per request by `securitySettings.clientIp()`. */
    clientIp?: string
  }
}

// Another panel process sharing the database sees a change within this long; this one at once.
const CACHE_TTL_MS = 5_000

export interface SecuritySettings extends SecuritySettingsRow {
  adminList: IpList
  apiKeyList: IpList
  proxyList: IpList
  /** Where webhook receivers may be although not public (see services/webhooks/receiver-guard.ts). */
  webhookAllowList: IpList
}

const DEFAULTS: SecuritySettingsRow = { admin_login_whitelist: [], api_key_whitelist: [], login_rate_limit: 5, api_rate_limit: 60, trusted_proxies: [], webhook_allowed_ranges: [] }

let cached: { value: SecuritySettings, expires: number } | undefined

function compile(row: SecuritySettingsRow): SecuritySettings {
  return { ...row, adminList: new IpList(row.admin_login_whitelist), apiKeyList: new IpList(row.api_key_whitelist), proxyList: new IpList(row.trusted_proxies), webhookAllowList: new IpList(row.webhook_allowed_ranges) }
}

/** The one settings store (a DB row), read through a short cache that a write invalidates. */
export const securitySettings = {
  async get(): Promise<SecuritySettings> {
    if (cached && cached.expires > Date.now()) return cached.value
    // Before the database is up (first seconds of start-up) the defaults apply.
    if (!databaseInfo().ready) return compile(DEFAULTS)
    const value = compile(await securityDb.get())
    cached = { value, expires: Date.now() + CACHE_TTL_MS }
    return value
  },

  async update(changes: Partial<SecuritySettingsRow>): Promise<SecuritySettings> {
    const value = compile(await securityDb.update(changes))
    cached = { value, expires: Date.now() + CACHE_TTL_MS }
    return value
  },

  /**
   * The request's client address as these settings define it (X-Forwarded-For only from a trusted
   * proxy), worked out once per request: the rate limiter, allowlists and audit log all use this.
   */
  async clientIp(event: H3Event): Promise<string> {
    event.context.clientIp ??= clientIp(event, (await securitySettings.get()).proxyList)
    return event.context.clientIp
  },

  /** Forgets the cached row (after a restore replaced it), so the next request reads the new one. */
  invalidate(): void {
    cached = undefined
  },
}
