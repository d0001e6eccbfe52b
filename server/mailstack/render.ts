import { join } from 'node:path'
import { Liquid } from 'liquidjs'
import * as v from 'valibot'
import { mailstackSettingsSchema } from '#shared/schemas/mailstack'
import { antispamSettingsSchema, whitelistEntryProblem } from '#shared/schemas/antispam'
import type { MailComponentName } from '#shared/types/mailstack'
import { COMPONENTS } from './components'
import type { MailComponent } from './components/types'
import type { MailstackContext } from './context'
import type { TemplateSources } from './templates'

/** The component that reads a file: it is validated with that component's tools and reloaded when it changes. */
export type MailDaemon = MailComponentName

/** One rendered file: absolute path, contents, mode, who owns it or must be able to read it, and its component. */
export interface RenderedFile {
  path: string
  content: string
  mode: number
  owner?: string
  group?: string
  daemon: MailDaemon
}

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
  // A host:port service as an SMTP next hop without MX lookup: `127.0.0.1:10025` → `[127.0.0.1]:10025`.
  engine.registerFilter('smtp_nexthop', (value: unknown) => {
    const s = oneLine(value, 'a service address')
    const at = s.lastIndexOf(':')
    const host = s.slice(0, at).replace(/^\[(.*)\]$/, '$1')
    return `[${host}]:${s.slice(at + 1)}`
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
    greylist_listen: ctx.postgrey.listen,
    clamsmtp_listen: ctx.clamsmtp.listen,
    reinject_listen: ctx.clamsmtp.reinject,
    spampd_listen: ctx.spampd.listen,
  }
  const parsed = v.safeParse(mailstackSettingsSchema, row)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new RenderError(`the mail stack settings are not valid (${v.getDotPath(issue) ?? 'settings'}: ${issue.message}); fix them with PUT /api/v1/config/mailstack`)
  }
}

/** The anti-spam settings and whitelist by the API's own rules (a restored or hand-edited row included). */
function checkAntispam(ctx: MailstackContext): void {
  const parsed = v.safeParse(antispamSettingsSchema, ctx.antispam)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new RenderError(`the anti-spam settings are not valid (${v.getDotPath(issue) ?? 'settings'}: ${issue.message}); fix them with PUT /api/v1/config/antispam`)
  }
  const { client_networks, client_domains, recipients } = ctx.whitelist
  const entries = [
    ...client_networks.map(value => [value.includes('/') ? 'cidr' : 'ip', value]),
    ...client_domains.map(value => ['domain', value]),
    ...recipients.map(value => ['email', value]),
  ]
  for (const [kind, value] of entries) {
    const problem = whitelistEntryProblem(kind!, value!)
    if (problem) throw new RenderError(`the whitelist entry ${JSON.stringify(value)} (${kind}) is not valid: ${problem}`)
  }
  for (const key of ctx.opendkim.keys) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(key.selector)) throw new RenderError(`unsafe DKIM selector: ${JSON.stringify(key.selector)}`)
    if (!SAFE_PATH.test(key.key_file) || key.key_file.includes('..')) throw new RenderError(`unsafe DKIM key path: ${JSON.stringify(key.key_file)}`)
  }
}

function checkContext(ctx: MailstackContext): void {
  checkListenSettings(ctx)
  checkAntispam(ctx)
  const paths = [ctx.root, ctx.tls.cert_file, ctx.tls.key_file, ctx.vmail.store,
    // An empty maillog_file is "not set" (MAILLOG_SOURCE=journald): the template leaves the line out.
    ...Object.entries(ctx.postfix).filter(([k, v]) => (k.endsWith('directory') || k.endsWith('file')) && !(k === 'maillog_file' && v === '')).map(([, v]) => String(v)),
    ctx.dovecot.config_directory, ctx.dovecot.base_dir, ctx.dovecot.state_dir, ctx.dovecot.log_path,
    ...[ctx.opendkim, ctx.opendkim_ed25519, ctx.opendmarc, ctx.postgrey, ctx.policyd_spf, ctx.clamsmtp, ctx.spampd].flatMap(c =>
      Object.entries(c).filter(([k]) => /(?:directory|path|file|socket)$/.test(k)).map(([, v]) => String(v)))]
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

function renderComponent(component: MailComponent, ctx: MailstackContext, templates: TemplateSources, engine: Liquid): RenderedFile[] {
  const dir = component.dir(ctx)
  const fromTemplates = component.templates.map((spec) => {
    const source = templates[spec.template]
    if (source === undefined) throw new RenderError(`template ${spec.template} is missing`)
    return {
      path: join(dir, spec.name),
      content: engine.parseAndRenderSync(source, ctx as unknown as Record<string, unknown>),
      mode: spec.secret ? SECRET_MODE : PUBLIC_MODE,
      daemon: component.name,
      ...(spec.secret && { group: spec.secret }),
    }
  })
  const computed = (component.computed?.(ctx) ?? []).map(f => ({
    path: join(dir, f.name),
    content: f.content,
    mode: f.mode,
    daemon: component.name,
    ...(f.owner && { owner: f.owner }),
    ...(f.group && { group: f.group }),
  }))
  return [...fromTemplates, ...computed]
}

export const mailstack = {
  /** The files a reconciler would write, in a fixed order. Pure: same context and sources, same output. */
  render(ctx: MailstackContext, templates: TemplateSources): RenderedFile[] {
    checkContext(ctx)
    const engine = makeEngine()
    return COMPONENTS.flatMap(component => renderComponent(component, ctx, templates, engine))
  },
}
