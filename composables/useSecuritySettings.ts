import type { SecuritySettings } from './api-types'

/** The security settings, loaded once per page load and replaced after every save (the banner reads them). */
export function useSecuritySettings() {
  const api = useApi()
  const settings = useState<SecuritySettings | null>('security-settings', () => null)
  return {
    settings,
    async load(force = false): Promise<SecuritySettings> {
      if (!settings.value || force) settings.value = await api.get<SecuritySettings>('/api/v1/security/settings')
      return settings.value
    },
    async save(changes: Partial<SecuritySettings> & { confirm_lockout?: boolean }): Promise<string> {
      const { message } = await api.put<{ message: string }>('/api/v1/security/settings', changes)
      settings.value = await api.get<SecuritySettings>('/api/v1/security/settings')
      return message
    },
  }
}
