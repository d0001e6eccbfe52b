import { join } from 'node:path'
import { Liquid } from 'liquidjs'
import * as v from 'valibot'
import { mailstackSettingsSchema } from '#shared/schemas/mailstack'
import type { MailstackContext } from './context'
import type { TemplateSources } from './templates'

/** The daemon that reads a file: it is validated with that daemon's tools and reloads it when it changes. */
export type MailDaemon = 'postfix' | 'dovecot'

/** One rendered file: absolute path, contents, mode, the group that must be able to read it, and its daemon. */
export interface RenderedFile {
  path: string
  content: string
  mode: number
  group?: string
  daemon: MailDaemon
}

interface FileSpec {
  template: string
  daemon: MailDaemon
  /** Output folder in the context (config directory of the daemon). */
  dir: (ctx: MailstackContext) => string
  name: string
  /** Files with the database password are 0640 and readable by the daemon's group only. */
  secret?: 'postfix' | 'dovecot'
}

const FILES: FileSpec[] = [
  { template: 'postfix/main.cf.liquid', daemon: 'postfix', dir: c => c.postfix.config_directory, name: 'main.cf' },
  { template: 'postfix/master.cf.liquid', daemon: 'postfix', dir: c => c.postfix.config_directory, name: 'master.cf' },
  ...['virtual-domains', 'virtual-mailboxes', 'virtual-aliases', 'sender-login'].map(map => ({
    template: `postfix/pgsql-${map}.cf.liquid`,
    daemon: 'postfix' as const,
    dir: (c: MailstackContext) => c.postfix.config_directory,
    name: `pgsql-${map}.cf`,
    secret: 'postfix' as const,
  })),
  { template: 'dovecot/dovecot.conf.liquid', daemon: 'dovecot', dir: c => c.dovecot.config_directory, name: 'dovecot.conf' },
  { template: 'dovecot/dovecot-sql.conf.ext.liquid', daemon: 'dovecot', dir: c => c.dovecot.config_directory, name: 'dovecot-sql.conf.ext', secret: 'dovecot' },
]

const PUBLIC_MODE = 0o644
const SECRET_MODE = 0o640

export class RenderError extends Error {}

// Paths go into main.cf (where `$`, `,` and blanks are syntax), SQL literals and Dovecot settings
// (where `%` expands): only plain characters are allowed, so no value can change the meaning of a line.
const SAFE_PATH = /^\/[\w./+-]*$/
const SAFE_WORD = /^[\w.:*, [\]-]+$/

function oneLine(value: unknown, what: string): string {
  const s = String(value)
  if (/[\r\n\0]/.test(s)) throw new RenderError(`${what} must be a single line`)
  return s
}

function makeEngine(): Liquid {
  const engine = new Liquid({ strictVariables: true, strictFilters: true, outputEscape: undefined })
  // Postfix table files: `name = value`, the value is the rest of the line with outer blanks stripped
  // and no quoting or $-expansion, so anything but a newline or outer blanks is taken literally.
  engine.registerFilter('postfix_value', (value: unknown) => {
    const s = oneLine(value, 'a Postfix map setting')
    if (s !== s.trim()) throw new RenderError('a Postfix map setting cannot start or end with blanks')
    return s
  })
  // libpq conninfo: every value single-quoted, with \ and ' backslash-escaped.
  engine.registerFilter('libpq_conninfo', (db: MailstackContext['db']) => {
    const quote = (v: string | number) => `'${oneLine(v, 'a database setting').replace(/[\\']/g, m => `\\${m}`)}'`
    const parts = [`host=${quote(db.host)}`, `port=${quote(db.port)}`, `dbname=${quote(db.name)}`, `user=${quote(db.user)}`]
    if (db.password) parts.push(`password=${quote(db.password)}`)
    return parts.join(' ')
  })
  // An SQL string literal inside a Dovecot query: quotes doubled, % doubled (Dovecot expands %).
  engine.registerFilter('sql_literal', (value: unknown) => `'${oneLine(value, 'an SQL literal').replace(/'/g, '\'\'').replace(/%/g, '%%')}'`)
  return engine
}

/**
 * The listen settings in the context must be ones the API would accept (shared/schemas/mailstack.ts):
 * the same schema, so a value from anywhere (a restore, a hand-edited row, a test) that the API
 * would refuse is refused here too, loudly, instead of being rendered for the daemons to trip over.
 */
function checkListenSettings(ctx: MailstackContext): void {
  const row = {
    smtp_listen: ctx.postfix.smtp_listen,
    submission_listen: ctx.postfix.submission_listen,
    submission_plain_listen: ctx.postfix.submission_plain_listen === '' ? null : ctx.postfix.submission_plain_listen,
    imap_listen: ctx.dovecot.listen,
    imap_port: ctx.dovecot.imap_port,
    imaps_port: ctx.dovecot.imaps_port,
    inet_interfaces: ctx.postfix.inet_interfaces,
    inet_protocols: ctx.postfix.inet_protocols,
    auth_failure_delay: ctx.dovecot.auth_failure_delay,
  }
  const parsed = v.safeParse(mailstackSettingsSchema, row)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new RenderError(`the mail stack settings are not valid (${v.getDotPath(issue) ?? 'settings'}: ${issue.message}); fix them with PUT /api/v1/config/mailstack`)
  }
}

function checkContext(ctx: MailstackContext): void {
  checkListenSettings(ctx)
  const paths = [ctx.root, ctx.tls.cert_file, ctx.tls.key_file, ctx.vmail.store,
    ...Object.entries(ctx.postfix).filter(([k]) => k.endsWith('directory') || k.endsWith('file')).map(([, v]) => String(v)),
    ctx.dovecot.config_directory, ctx.dovecot.base_dir, ctx.dovecot.state_dir, ctx.dovecot.log_path]
  for (const p of paths) if (!SAFE_PATH.test(p)) throw new RenderError(`unsafe path for the mail configuration: ${JSON.stringify(p)}`)
  const words = [ctx.hostname, ctx.postfix.smtp_listen, ctx.postfix.submission_listen, ctx.postfix.inet_interfaces,
    ctx.postfix.inet_protocols, ctx.dovecot.listen, ctx.dovecot.instance_name]
  for (const w of words) if (!SAFE_WORD.test(w)) throw new RenderError(`unsafe value for the mail configuration: ${JSON.stringify(w)}`)
  for (const w of [ctx.postfix.submission_plain_listen, ctx.policy.service]) {
    if (w !== '' && !SAFE_WORD.test(w)) throw new RenderError(`unsafe value for the mail configuration: ${JSON.stringify(w)}`)
  }
  if (!/^(?:DUNNO|4\d\d [\w .,:;()-]+)$/.test(ctx.policy.default_action)) throw new RenderError('the policy default action must be DUNNO or a 4xx reply')
  const ports = [ctx.dovecot.imap_port, ctx.dovecot.imaps_port, ctx.dovecot.auth_failure_delay, ctx.db.port, ctx.vmail.uid, ctx.vmail.gid]
  for (const n of ports) if (!Number.isInteger(n) || n < 0) throw new RenderError(`not a valid number: ${n}`)
}

export const mailstack = {
  /** The files a reconciler would write, in a fixed order. Pure: same context and sources, same output. */
  render(ctx: MailstackContext, templates: TemplateSources): RenderedFile[] {
    checkContext(ctx)
    const engine = makeEngine()
    return FILES.map((spec) => {
      const source = templates[spec.template]
      if (source === undefined) throw new RenderError(`template ${spec.template} is missing`)
      return {
        path: join(spec.dir(ctx), spec.name),
        content: engine.parseAndRenderSync(source, ctx as unknown as Record<string, unknown>),
        mode: spec.secret ? SECRET_MODE : PUBLIC_MODE,
        daemon: spec.daemon,
        ...(spec.secret && { group: spec.secret }),
      }
    })
  },
}
