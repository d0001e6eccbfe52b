import type { MailComponent } from './types'

/** SPF for inbound mail: policyd-spf, which Postfix spawns per connection (master.cf), so nothing to reload. */
export const policydSpf: MailComponent = {
  name: 'policyd-spf',
  binary: 'policyd-spf',
  packages: { debian: 'postfix-policyd-spf-python', rhel: 'pypolicyd-spf' },
  optional: true,
  wanted: ctx => ctx.antispam.spf_enabled,
  dir: ctx => ctx.policyd_spf.config_directory,
  templates: [{ template: 'policyd-spf/policyd-spf.conf.liquid', name: 'policyd-spf.conf' }],
  tools: {
    prepare() {},
    // Constant settings (nothing in the file comes from input).
    async validate() {
      return []
    },
    async running() {
      return false
    },
    async reload() {},
  },
}
