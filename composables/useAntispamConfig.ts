import type { AntispamSettingsRow } from '#shared/schemas/antispam'
import type { AntispamConfig, MessageResponse } from './api-types'

/**
 * The anti-spam settings and each feature's capability verdict: one shared read for the DKIM and
 * Anti-spam tabs, read again after every save (a switch turned on may still be inactive when its
 * package is missing, and only the server knows).
 */
export function useAntispamConfig() {
  const api = useApi()
  const { data: config, error, refresh } = useApiData<AntispamConfig>('/api/v1/config/antispam')
  return {
    config,
    error,
    async save(changes: Partial<AntispamSettingsRow>): Promise<string> {
      const { message } = await api.put<MessageResponse>('/api/v1/config/antispam', changes)
      await refresh()
      return message
    },
  }
}

/**
 * Calls `fill` with the stored settings whenever those named by `keys` change (and once loaded):
 * a card edits its own copy, and a save in another card, which re-reads the whole config, leaves
 * that copy's unsaved edits alone.
 */
export function watchSettings(config: Ref<AntispamConfig | null>, keys: readonly (keyof AntispamSettingsRow)[], fill: (settings: AntispamConfig) => void) {
  watch(() => config.value && JSON.stringify(keys.map(k => config.value![k])), () => {
    if (config.value) fill(config.value)
  }, { immediate: true })
}
