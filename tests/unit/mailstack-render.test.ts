import { describe, expect, it, vi } from 'vitest'
import { mailstackContext, type MailstackContext, type MailstackSettings } from '#server/mailstack/context'
import { mailstack, type RenderedFile } from '#server/mailstack/render'
import { mailstackTemplates } from '#server/mailstack/templates'
import { resolvePaths } from '#server/utils/config'

const templates = mailstackTemplates.fromDir()

function build(databaseUrl = 'postgres://mailpanel:s3cret@127.0.0.1:5432/mailpanel', root = '/srv/mail', settings: Partial<MailstackSettings> = {}): MailstackContext {
  return mailstackContext.build({ paths: resolvePaths(root), databaseUrl, mailHostname: 'mail.example.test' }, settings)
}

function file(files: RenderedFile[], name: string): RenderedFile {
  const found = files.find(f => f.path.endsWith(`/${name}`))
  if (!found) throw new Error(`${name} not rendered`)
  return found
}

/** Postfix main.cf / map files as name → value (continuation lines joined). */
function settings(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([\w]+)\s*=\s*(.*)$/.exec(line)
    if (m) out[m[1]!] = m[2]!.trim()
  }
  return out
}

/** A minimal libpq conninfo parser (single-quoted values with \ escapes), to read back what we wrote. */
function parseConninfo(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const re = /(\w+)='((?:[^'\\]|\\.)*)'\s*/y
  let m: RegExpExecArray | null
  let end = 0
  while ((m = re.exec(text))) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1')
    end = re.lastIndex
  }
  expect(end).toBe(text.length)
  return out
}

describe('mailstack.render', () => {
  const files = mailstack.render(build(), templates)

  it('renders every file under MAILPANEL_ROOT (etc/postfix, etc/dovecot), secrets 0640 for the daemon group', () => {
    const core = files.filter(f => f.daemon === 'postfix' || f.daemon === 'dovecot').map(f => f.path).sort()
    expect(core).toEqual([
      '/srv/mail/etc/postfix/main.cf',
      '/srv/mail/etc/postfix/master.cf',
      '/srv/mail/etc/postfix/pgsql-virtual-domains.cf',
      '/srv/mail/etc/postfix/pgsql-virtual-mailboxes.cf',
      '/srv/mail/etc/postfix/pgsql-virtual-aliases.cf',
      '/srv/mail/etc/postfix/pgsql-sender-login.cf',
      '/srv/mail/etc/dovecot/dovecot.conf',
      '/srv/mail/etc/dovecot/dovecot-sql.conf.ext',
      '/srv/mail/etc/postfix/antispam-clients.cidr',
      '/srv/mail/etc/postfix/antispam-client-domains',
      '/srv/mail/etc/postfix/antispam-recipients',
    ].sort())
    for (const f of files) expect(f.path.startsWith('/srv/mail/etc/'), f.path).toBe(true)
    for (const f of files.filter(f => /pgsql-|sql\.conf/.test(f.path))) expect(f.mode).toBe(0o640)
    expect(file(files, 'pgsql-virtual-domains.cf').group).toBe('postfix')
    expect(file(files, 'dovecot-sql.conf.ext').group).toBe('dovecot')
    expect(file(files, 'main.cf').mode).toBe(0o644)
  })

  it('renders the same bytes again from a fresh context and template load, at another time (no-change runs rely on it)', () => {
    vi.useFakeTimers({ now: new Date('2040-02-29T23:59:59Z') })
    try {
      expect(mailstack.render(build(), mailstackTemplates.fromDir())).toEqual(files)
    }
    finally {
      vi.useRealTimers()
    }
  })

  it('main.cf has Postfix log to its own file, or (MAILLOG_SOURCE=journald) to syslog as packaged', () => {
    expect(settings(file(files, 'main.cf').content)).toMatchObject({ maillog_file: '/srv/mail/var/log/mail.log', maillog_file_prefixes: '/var, /dev/stdout, /srv/mail' })
    const journald = mailstackContext.build({ paths: resolvePaths('/srv/mail'), databaseUrl: 'postgres://p@127.0.0.1/x', mailHostname: 'mx.test', maillogSource: 'journald' })
    const main = file(mailstack.render(journald, templates), 'main.cf').content
    expect(main).not.toMatch(/maillog_file/)
    expect(main).toMatch(/^queue_directory = .*\ndata_directory = .*\nmyhostname = mx.test$/m)
  })

  it('main.cf uses the pgsql maps (next to it, so a staged copy validates as is), LMTP to Dovecot and Dovecot SASL', () => {
    const main = settings(file(files, 'main.cf').content)
    for (const map of ['virtual-domains', 'virtual-mailboxes', 'virtual-aliases', 'sender-login']) {
      expect(files.some(f => f.path === `/srv/mail/etc/postfix/pgsql-${map}.cf` && f.daemon === 'postfix')).toBe(true)
    }
    expect(main.virtual_mailbox_domains).toBe('pgsql:$config_directory/pgsql-virtual-domains.cf')
    expect(main.virtual_mailbox_maps).toBe('pgsql:$config_directory/pgsql-virtual-mailboxes.cf')
    expect(main.virtual_alias_maps).toBe('pgsql:$config_directory/pgsql-virtual-aliases.cf')
    expect(main.smtpd_sender_login_maps).toBe('pgsql:$config_directory/pgsql-sender-login.cf')
    expect(main.virtual_transport).toBe('lmtp:unix:/srv/mail/run/dovecot/lmtp')
    expect(main.smtpd_sasl_type).toBe('dovecot')
    expect(main.mydestination).toBe('')
    expect(main.alias_maps).toBe('')
    expect(main.queue_directory).toBe('/srv/mail/var/spool/postfix')
  })

  it('master.cf: submission requires TLS and SASL and checks the sender login; nothing is chrooted', () => {
    const master = file(files, 'master.cf').content
    const submission = /^587 inet .*\n((?:[ \t]+-o .*\n)+)/m.exec(master)?.[1] ?? ''
    expect(submission).toContain('-o smtpd_tls_security_level=encrypt')
    expect(submission).toContain('-o smtpd_tls_auth_only=yes')
    expect(submission).toContain('-o smtpd_sasl_auth_enable=yes')
    expect(submission).toContain('-o smtpd_sender_restrictions=reject_sender_login_mismatch')
    expect(submission).toContain('-o smtpd_relay_restrictions=permit_sasl_authenticated,reject')
    const services = master.split('\n').filter(l => /^\S/.test(l) && !l.startsWith('#'))
    expect(services.length).toBeGreaterThan(20)
    for (const line of services) expect(line.split(/\s+/)[4], line).toBe('n')
  })

  it('lookup maps probe the unique indexes with active flags', () => {
    expect(settings(file(files, 'pgsql-virtual-domains.cf').content).query).toBe('SELECT 1 FROM domains WHERE name = lower(\'%s\') AND active')
    const mailboxes = settings(file(files, 'pgsql-virtual-mailboxes.cf').content).query
    expect(mailboxes).toContain('d.name = lower(\'%d\') AND m.username = lower(\'%u\') AND m.active AND d.active')
    expect(settings(file(files, 'pgsql-virtual-aliases.cf').content).query).toContain('unnest(a.destinations)')
    expect(settings(file(files, 'pgsql-sender-login.cf').content).query).toContain('a.local_part = lower(\'%u\')')
  })

  it('Dovecot: SQL passdb/userdb with BLF-CRYPT, IMAP + LMTP, SASL socket for Postfix, four special folders', () => {
    const sqlConf = file(files, 'dovecot-sql.conf.ext').content
    expect(sqlConf).toMatch(/^driver = pgsql$/m)
    expect(sqlConf).toMatch(/^default_pass_scheme = BLF-CRYPT$/m)
    expect(sqlConf).toMatch(/^password_query = .*WHERE d\.name = '%Ld' AND m\.username = '%Ln' AND m\.active AND d\.active$/m)
    expect(sqlConf).toMatch(/^user_query = SELECT '\/srv\/mail\/var\/mail\/vhosts' \|\| .* AS home, 5000 AS uid, 5000 AS gid, .*quota_rule/m)
    const conf = file(files, 'dovecot.conf').content
    expect(conf).toMatch(/^protocols = imap lmtp$/m)
    expect(conf).toContain('unix_listener /srv/mail/var/spool/postfix/private/auth {')
    for (const folder of ['Drafts', 'Sent', 'Trash', 'Junk']) {
      expect(conf).toMatch(new RegExp(`mailbox ${folder} \\{\\n\\s+special_use = \\\\${folder}\\n\\s+auto = subscribe\\n`))
    }
  })

  it('listen addresses and ports come from the context', () => {
    const ctx = mailstackContext.build({ paths: resolvePaths('/tmp/t'), databaseUrl: 'postgres://p@127.0.0.1/x', mailHostname: 'mx.test' },
      { smtp: '127.0.0.1:2525', submission: '127.0.0.1:2587', imapAddress: '127.0.0.1', imapPort: 2143, imapsPort: 2993, inetInterfaces: 'loopback-only' })
    const out = mailstack.render(ctx, templates)
    expect(file(out, 'master.cf').content).toMatch(/^127\.0\.0\.1:2525 inet n - n - - smtpd$/m)
    expect(file(out, 'master.cf').content).toMatch(/^127\.0\.0\.1:2587 inet n - n - - smtpd$/m)
    const conf = file(out, 'dovecot.conf').content
    expect(conf).toMatch(/^listen = 127\.0\.0\.1$/m)
    expect(conf).toMatch(/inet_listener imap \{\n\s+port = 2143\n/)
    expect(conf).toMatch(/inet_listener imaps \{\n\s+port = 2993\n/)
    // No password in the URL (trust auth): no password line at all.
    expect(file(out, 'pgsql-virtual-domains.cf').content).not.toMatch(/^password/m)
    expect(file(out, 'dovecot-sql.conf.ext').content).not.toContain('password=')
  })

  it('a database password with quotes, blanks, backslashes, % and $ survives each file format', () => {
    const password = `it's a "pw" \\ with %d and $x`
    const user = 'mail user'
    const out = mailstack.render(build(`postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@db.internal:6543/mail%20db`), templates)
    const map = settings(file(out, 'pgsql-virtual-mailboxes.cf').content)
    expect(map.password).toBe(password)
    expect(map.user).toBe(user)
    expect(map.dbname).toBe('mail db')
    expect(map.hosts).toBe('inet:db.internal:6543')
    const connect = /^connect = (.*)$/m.exec(file(out, 'dovecot-sql.conf.ext').content)![1]!
    expect(parseConninfo(connect)).toEqual({ host: 'db.internal', port: '6543', dbname: 'mail db', user, password })
  })

  it('refuses values that would break a file: newlines, outer blanks, unsafe paths', () => {
    expect(() => mailstack.render(build(`postgres://u:${encodeURIComponent('a\nquery = x')}@h/db`), templates)).toThrow(/single line/)
    expect(() => mailstack.render(build(`postgres://u:${encodeURIComponent(' pw')}@h/db`), templates)).toThrow(/blanks/)
    expect(() => mailstack.render(build(undefined, '/srv/mail $x'), templates)).toThrow(/unsafe path/)
    expect(() => mailstack.render(build(undefined, '/srv/it\'s'), templates)).toThrow(/unsafe path/)
    expect(() => mailstackContext.build({ paths: resolvePaths('/x'), databaseUrl: undefined, mailHostname: 'h' })).toThrow(/DATABASE_URL/)
  })

  it('a missing template is an error, not an empty file', () => {
    const { ['postfix/main.cf.liquid']: _, ...rest } = templates
    expect(() => mailstack.render(build(), rest)).toThrow(/main\.cf\.liquid is missing/)
  })
})

describe('policy daemon wiring', () => {
  const DB = 'postgres://mailpanel:s3cret@127.0.0.1:5432/mailpanel'
  const wired = mailstack.render(build(DB, '/srv/mail', { policyService: 'inet:127.0.0.1:10031', policyDefaultAction: 'DUNNO' }), templates)
  /** The `-o` overrides of the master.cf service whose first field is `service`. */
  const overrides = (master: string, service: string): Record<string, string> | undefined => {
    const block = master.split(/\n(?=\S)/).find(b => b.startsWith(`${service} `))
    return block === undefined ? undefined : Object.fromEntries([...block.matchAll(/^\s+-o (\w+)=(.*)$/gm)].map(m => [m[1]!, m[2]!]))
  }

  it('asks the daemon before permit_sasl_authenticated at RCPT and again at END-OF-DATA, on submission', () => {
    const main = settings(file(wired, 'main.cf').content)
    expect(main.mailpanel_submission_recipient_restrictions).toBe('check_policy_service inet:127.0.0.1:10031, permit_sasl_authenticated, reject')
    expect(main.mailpanel_submission_end_of_data_restrictions).toBe('check_policy_service inet:127.0.0.1:10031')
    expect(main.smtpd_policy_service_default_action).toBe('DUNNO')
    const submission = overrides(file(wired, 'master.cf').content, '587')!
    expect(submission.smtpd_recipient_restrictions).toBe('$mailpanel_submission_recipient_restrictions')
    expect(submission.smtpd_end_of_data_restrictions).toBe('$mailpanel_submission_end_of_data_restrictions')
    expect(submission.smtpd_tls_auth_only).toBe('yes')
    // Port 25 (inbound) never asks: unauthenticated mail is not the daemon's business.
    expect(overrides(file(wired, 'master.cf').content, '25')).toEqual({})
  })

  it('without an address the restrictions stay as before and nothing names the daemon', () => {
    const main = settings(file(files(), 'main.cf').content)
    expect(main.mailpanel_submission_recipient_restrictions).toBe('permit_sasl_authenticated, reject')
    expect(main.smtpd_policy_service_default_action).toBeUndefined()
    expect(file(files(), 'main.cf').content).not.toContain('check_policy_service')
  })

  it('the plain submission service exists only when set, offers AUTH without TLS, and goes through the daemon too', () => {
    expect(overrides(file(wired, 'master.cf').content, '127.0.0.1:2587')).toBeUndefined()
    const plain = mailstack.render(build(DB, '/srv/mail', { submissionPlain: '127.0.0.1:2587', policyService: 'inet:127.0.0.1:10031' }), templates)
    const o = overrides(file(plain, 'master.cf').content, '127.0.0.1:2587')!
    expect(o).toMatchObject({ smtpd_tls_security_level: 'may', smtpd_tls_auth_only: 'no', smtpd_sasl_auth_enable: 'yes',
      smtpd_recipient_restrictions: '$mailpanel_submission_recipient_restrictions', smtpd_end_of_data_restrictions: '$mailpanel_submission_end_of_data_restrictions',
      smtpd_sender_restrictions: 'reject_sender_login_mismatch' })
  })

  it('refuses a default action that is not DUNNO or a 4xx reply, and unsafe service names', () => {
    expect(() => mailstack.render(build(DB, '/srv/mail', { policyService: 'inet:127.0.0.1:10031', policyDefaultAction: 'OK' }), templates)).toThrow(/default action/)
    expect(() => mailstack.render(build(DB, '/srv/mail', { policyService: 'inet:127.0.0.1:10031\nrelayhost = evil' }), templates)).toThrow(/unsafe value/)
    expect(() => mailstack.render(build(DB, '/srv/mail', { submissionPlain: '2587 inet n - n - - smtpd -o x=$(y)' }), templates)).toThrow(/mail stack settings are not valid \(submission_plain_listen/)
  })

  // The renderer re-validates with the API's schema: a value the API refuses never reaches a file,
  // whichever way it got into the settings (a restore, a hand-edited row).
  it.each([
    [{ smtp: '[fe80::1%eth0]:25' }, /smtp_listen: a scoped IPv6 address/],
    [{ submission: '0.0.0.0:587' }, /submission_listen: 0\.0\.0\.0 means every address: write only the port/],
    [{ submission: '[::]:587' }, /submission_listen: \[::\] means every address/],
    [{ imapAddress: '::ffff:127.0.0.1' }, /imap_listen: write IPv6 addresses in hex groups only/],
    [{ inetInterfaces: '0.0.0.0' }, /inet_interfaces: 0\.0\.0\.0 is not an interface address: write all/],
    [{ inetInterfaces: '::1', inetProtocols: 'ipv4' }, /inet_interfaces: inet_interfaces names ::1, but inet_protocols \(ipv4\)/],
    [{ smtp: '2525', submission: '127.0.0.1:2525' }, /smtp_listen: smtp_listen and submission_listen both use port 2525/],
  ])('refuses settings the API would refuse: %j', (settings, message) => {
    expect(() => mailstack.render(build(DB, '/srv/mail', settings), templates)).toThrow(message)
  })

  function files() {
    return mailstack.render(build(DB), templates)
  }
})
