import { restartService, runningFromPidFile } from '../process'
import type { MailComponent } from './types'

/** SpamAssassin scoring through spampd, an SMTP proxy in the after-queue content filter chain. */
export const spampd: MailComponent = {
  name: 'spampd',
  binary: 'spampd',
  packages: { debian: 'spampd', rhel: null },
  optional: true,
  unit: 'spampd',
  wanted: ctx => ctx.antispam.spampd_enabled,
  dir: ctx => ctx.spampd.config_directory,
  templates: [{ template: 'spampd/spampd.env.liquid', name: 'spampd.env' }],
  tools: {
    prepare() {},
    async validate() {
      return []
    },
    async running(ctx) {
      return runningFromPidFile(ctx.spampd.pid_file)
    },
    // spampd takes its options only at start.
    async reload() {
      return restartService('spampd', 'the spampd options changed')
    },
  },
}
