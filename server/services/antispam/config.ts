import { antispamDb } from '#server/db/queries/antispam'
import { detectCapabilities } from '#server/mailstack/capabilities'
import { componentByName } from '#server/mailstack/components'
import type { AntispamConfig, AntispamFeatureState } from '#shared/types/antispam'
import type { MailComponentName } from '#shared/types/mailstack'

/** Each feature of the API's view, the component that provides it, and its switch (DKIM has none: always wanted). */
const FEATURES: [keyof AntispamConfig['features'], MailComponentName, keyof AntispamConfig | undefined][] = [
  ['dkim', 'opendkim', undefined],
  ['dmarc', 'opendmarc', 'dmarc_enabled'],
  ['spf', 'policyd-spf', 'spf_enabled'],
  ['greylist', 'postgrey', 'greylist_enabled'],
  ['clamav', 'clamsmtp', 'clamav_enabled'],
  ['spampd', 'spampd', 'spampd_enabled'],
]

export const antispamConfig = {
  /** The stored settings plus, per feature, the capability gate's verdict (what the reconciler wires in). */
  async get(): Promise<AntispamConfig> {
    const settings = await antispamDb.getSettings()
    const caps = detectCapabilities()
    const features = Object.fromEntries(FEATURES.map(([feature, name, key]) => {
      // Every feature's component is registered (components/index.ts): its binary and packages are the gate's.
      const component = componentByName(name)!
      const enabled = key ? Boolean(settings[key as keyof typeof settings]) : true
      const installed = caps[name].installed
      const state: AntispamFeatureState = {
        enabled,
        installed,
        active: enabled && installed,
        binary: component.binary,
        packages: component.packages,
      }
      return [feature, state]
    })) as AntispamConfig['features']
    return { ...settings, features }
  },
}
