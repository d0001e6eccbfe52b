import type { SecuritySettings } from './api-types'

/**
 * The security settings: one shared read for the whole page load (the allowlist banner on every
 * page and the Security form), read again after every save.
 */
export function useSecuritySettings() {
  const api = useApi()
  const { data: settings, error, refresh } = useApiData<SecuritySettings>('/api/v1/security/settings', { maxAge: Number.POSITIVE_INFINITY })
  return {
    settings,
    error,
    async save(changes: Partial<SecuritySettings> & { confirm_lockout?: boolean }): Promise<string> {
      const { message } = await api.put<{ message: string }>('/api/v1/security/settings', changes)
      await refresh()
      return message
    },
  }
}
