import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { check, otherCommandLine, restartService, runningFromPidFile, signalPidFile } from '../process'
import type { MailComponent } from './types'

/** OpenDMARC in observe mode: the DMARC verdict in Authentication-Results, after OpenDKIM's milter. */
export const opendmarc: MailComponent = {
  name: 'opendmarc',
  binary: 'opendmarc',
  packages: { debian: 'opendmarc', rhel: 'opendmarc' },
  optional: true,
  unit: 'opendmarc',
  wanted: ctx => ctx.antispam.dmarc_enabled,
  dir: ctx => ctx.opendmarc.config_directory,
  templates: [
    { template: 'opendmarc/opendmarc.conf.liquid', name: 'opendmarc.conf' },
    { template: 'opendmarc/ignore.hosts.liquid', name: 'ignore.hosts' },
  ],
  tools: {
    prepare(ctx) {
      mkdirSync(dirname(ctx.opendmarc.socket_path), { recursive: true, mode: 0o755 })
    },
    async validate(stageDir, ctx) {
      // `opendmarc -n` parses the file and opens what it names: point a copy at the staged list.
      const live = join(ctx.opendmarc.config_directory, 'ignore.hosts')
      const conf = readFileSync(join(stageDir, 'opendmarc.conf'), 'utf8').replaceAll(live, join(stageDir, 'ignore.hosts'))
      const checkConf = join(stageDir, 'opendmarc.check.conf')
      writeFileSync(checkConf, conf, { mode: 0o644 })
      return check('opendmarc', ['-n', '-c', checkConf], 'opendmarc -n')
    },
    async running(ctx) {
      return runningFromPidFile(ctx.opendmarc.pid_file)
    },
    async reload(ctx) {
      // Started by the package with its own /etc/opendmarc.conf (before the setup's drop-in): a
      // SIGUSR1 would re-read that file, so it is restarted onto the panel's.
      const other = otherCommandLine(ctx.opendmarc.pid_file, join(ctx.opendmarc.config_directory, 'opendmarc.conf'))
      if (other) return restartService('opendmarc', `it runs without the panel's configuration (${other})`)
      // What Debian's unit does for reload: SIGUSR1 re-reads the configuration.
      signalPidFile(ctx.opendmarc.pid_file, 'SIGUSR1', 'OpenDMARC')
    },
  },
}
