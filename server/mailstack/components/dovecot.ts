import { join } from 'node:path'
import { check, runningFromPidFile, signalPidFile } from '../process'
import type { MailComponent } from './types'

/** Dovecot: IMAP, LMTP delivery and the SASL service Postfix's submission uses. */
export const dovecot: MailComponent = {
  name: 'dovecot',
  binary: 'dovecot',
  packages: { debian: 'dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pgsql', rhel: 'dovecot dovecot-pgsql' },
  optional: false,
  dir: ctx => ctx.dovecot.config_directory,
  templates: [
    { template: 'dovecot/dovecot.conf.liquid', name: 'dovecot.conf' },
    { template: 'dovecot/dovecot-sql.conf.ext.liquid', name: 'dovecot-sql.conf.ext', secret: 'dovecot' },
  ],
  tools: {
    prepare() {},
    async validate(stageDir) {
      return check('doveconf', ['-n', '-c', join(stageDir, 'dovecot.conf')], 'doveconf')
    },
    async running(ctx) {
      return runningFromPidFile(join(ctx.dovecot.base_dir, 'master.pid'))
    },
    async reload(ctx) {
      // What `doveadm reload` does: SIGHUP to the master named in base_dir/master.pid.
      signalPidFile(join(ctx.dovecot.base_dir, 'master.pid'), 'SIGHUP', 'Dovecot')
    },
  },
}
