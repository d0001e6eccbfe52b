import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { check, reloadMilter, runningFromPidFile } from '../process'
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
    reload: ctx => reloadMilter({ pidFile: ctx.opendmarc.pid_file, configFile: join(ctx.opendmarc.config_directory, 'opendmarc.conf'), unit: 'opendmarc', name: 'OpenDMARC' }),
  },
}
