import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { check, pidFrom, run, ValidationError } from '../process'
import type { MailComponent } from './types'

let pgsqlMapSupport: boolean | undefined

const PGSQL_MAPS = ['virtual-domains', 'virtual-mailboxes', 'virtual-aliases', 'sender-login']

/** Postfix: the MTA every other component is wired into (main.cf reads which of them are active). */
export const postfix: MailComponent = {
  name: 'postfix',
  binary: 'postfix',
  packages: { debian: 'postfix postfix-pgsql', rhel: 'postfix postfix-pgsql' },
  optional: false,
  dir: ctx => ctx.postfix.config_directory,
  templates: [
    { template: 'postfix/main.cf.liquid', name: 'main.cf' },
    { template: 'postfix/master.cf.liquid', name: 'master.cf' },
    ...PGSQL_MAPS.map(map => ({ template: `postfix/pgsql-${map}.cf.liquid`, name: `pgsql-${map}.cf`, secret: 'postfix' })),
    // The anti-spam whitelist as Postfix lookup tables (clients that skip DNSBL, SPF and greylisting).
    { template: 'postfix/antispam-clients.cidr.liquid', name: 'antispam-clients.cidr' },
    { template: 'postfix/antispam-client-domains.liquid', name: 'antispam-client-domains' },
    { template: 'postfix/antispam-recipients.liquid', name: 'antispam-recipients' },
  ],
  tools: {
    prepare(ctx) {
      // `postfix check` creates the queue's subfolders and the data folder, but not their parents.
      const logDir = ctx.postfix.maillog_file ? [dirname(ctx.postfix.maillog_file)] : []
      for (const dir of [ctx.postfix.queue_directory, dirname(ctx.postfix.data_directory), ...logDir]) {
        mkdirSync(dir, { recursive: true, mode: 0o755 })
      }
    },
    async validate(stageDir) {
      // postconf reports syntax errors on stderr even without a TTY; `postfix check` then only exits 1.
      const found = [
        ...await check('postconf', ['-c', stageDir, '-n'], 'postconf (main.cf)'),
        ...await check('postconf', ['-c', stageDir, '-M'], 'postconf (master.cf)'),
      ]
      pgsqlMapSupport ??= (await run('postconf', ['-c', stageDir, '-m'])).stdout.split('\n').includes('pgsql')
      if (!pgsqlMapSupport) throw new ValidationError('Postfix has no pgsql map support: install the postfix-pgsql package')
      found.push(...await check('postfix', ['-c', stageDir, 'check'], 'postfix check'))
      return found
    },
    async running(ctx) {
      // `postfix status` exits 0 only while the master runs; ask the pid file first to skip a fork.
      if (!pidFrom(join(ctx.postfix.queue_directory, 'pid/master.pid'))) return false
      return run('postfix', ['-c', ctx.postfix.config_directory, 'status']).then(() => true, () => false)
    },
    async reload(ctx) {
      await check('postfix', ['-c', ctx.postfix.config_directory, 'reload'], 'postfix reload')
    },
  },
}
