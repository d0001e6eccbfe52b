import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { restartService, runningFromPidFile } from '../process'
import type { MailComponent } from './types'

/** ClamAV as an after-queue content filter through clamsmtpd (gated on the daemon binary, changelog Build 049). */
export const clamsmtp: MailComponent = {
  name: 'clamsmtp',
  binary: 'clamsmtpd',
  packages: { debian: 'clamsmtp clamav-daemon', rhel: null },
  optional: true,
  unit: 'clamsmtp',
  wanted: ctx => ctx.antispam.clamav_enabled,
  dir: ctx => ctx.clamsmtp.config_directory,
  templates: [{ template: 'clamsmtp/clamsmtpd.conf.liquid', name: 'clamsmtpd.conf' }],
  tools: {
    prepare(ctx) {
      // Only the last folder is private: a recursive 0750 would close var/spool to Postfix too.
      mkdirSync(dirname(ctx.clamsmtp.temp_directory), { recursive: true, mode: 0o755 })
      mkdirSync(ctx.clamsmtp.temp_directory, { recursive: true, mode: 0o750 })
    },
    // No checker of its own; the file holds only addresses and paths the API's schemas checked.
    async validate() {
      return []
    },
    async running(ctx) {
      return runningFromPidFile(ctx.clamsmtp.pid_file)
    },
    // clamsmtpd reads its file only at start.
    async reload() {
      return restartService('clamsmtp', 'clamsmtpd.conf changed')
    },
  },
}
