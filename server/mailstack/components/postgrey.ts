import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandLine, pidFrom, restartService, runningFromPidFile, signalPidFile } from '../process'
import type { MailstackContext } from '../context'
import type { MailComponent } from './types'

const optionsFile = (ctx: MailstackContext) => join(ctx.postgrey.config_directory, 'postgrey.env')

/** The options in the rendered postgrey.env (`POSTGREY_OPTS="--inet=… --delay=…"`). */
function renderedOptions(ctx: MailstackContext): string[] {
  const match = /^POSTGREY_OPTS="([^"]*)"$/m.exec(readFileSync(optionsFile(ctx), 'utf8'))
  return match ? match[1]!.split(' ').filter(Boolean) : []
}

/**
 * postgrey re-reads its whitelists on SIGHUP, but takes delay, max age and the listen address only
 * at start: when the running process was started with other options, it must be restarted.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- most reloads return nothing; a note is the exception
async function reload(ctx: MailstackContext): Promise<string | void> {
  const pid = pidFrom(ctx.postgrey.pid_file)
  const running = pid === undefined ? undefined : commandLine(pid)
  const wanted = renderedOptions(ctx)
  if (running && wanted.some(option => !running.includes(option))) {
    return restartService('postgrey', 'the greylisting options changed')
  }
  signalPidFile(ctx.postgrey.pid_file, 'SIGHUP', 'postgrey')
}

/** Greylisting: postgrey as a policy service (check_policy_service inet:127.0.0.1:10023). */
export const postgrey: MailComponent = {
  name: 'postgrey',
  binary: 'postgrey',
  // EPEL 10 has no postgrey (changelog Build 051): the gate then skips the wiring.
  packages: { debian: 'postgrey', rhel: 'postgrey' },
  optional: true,
  unit: 'postgrey',
  wanted: ctx => ctx.antispam.greylist_enabled,
  dir: ctx => ctx.postgrey.config_directory,
  templates: [
    { template: 'postgrey/postgrey.env.liquid', name: 'postgrey.env' },
    { template: 'postgrey/whitelist_clients.local.liquid', name: 'whitelist_clients.local' },
    { template: 'postgrey/whitelist_recipients.liquid', name: 'whitelist_recipients' },
  ],
  tools: {
    prepare() {},
    // No checker of its own: every value was checked by the API's schemas when rendered.
    async validate() {
      return []
    },
    async running(ctx) {
      return runningFromPidFile(ctx.postgrey.pid_file)
    },
    reload,
  },
}
