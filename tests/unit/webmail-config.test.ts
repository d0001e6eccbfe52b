import { describe, expect, it } from 'vitest'
import { parseConfig, renderConfig, WebmailConfigError } from '#server/services/webmail/config-file'
import { WEBMAIL_DEFAULTS } from '#shared/schemas/webmail'

const SECRET = 'f'.repeat(64)
const FILE = '/etc/backendside-webmail/config.yaml'

describe('the webmail config file', () => {
  it('renders block YAML that parses back to the same settings and secret', () => {
    const config = { ...WEBMAIL_DEFAULTS, mail_servers: [{ name: 'Main: "quoted" # not a comment', host: 'mail.example.com', imap_port: 993, smtp_port: 465, security: 'tls' as const }] }
    const text = renderConfig(config, SECRET, null)
    expect(text).toMatch(/^# BackendSide WebMail settings/)
    expect(text).toContain('listen_port: 8090\n')
    const back = parseConfig(text, FILE)
    expect(back.config).toEqual(config)
    expect(back.secret).toBe(SECRET)
  })

  it('keeps keys and comments it does not own', () => {
    const first = parseConfig('# mine\ntheme: dark # inline\nlisten_port: 9000\n', FILE)
    expect(first.config.listen_port).toBe(9000)
    expect(first.secret).toBeNull()
    const text = renderConfig({ ...first.config, listen_port: 9001 }, SECRET, first.doc)
    expect(text).toContain('# mine\ntheme: dark # inline\nlisten_port: 9001\n')
  })

  it.each([
    ['listen_port: [unclosed', /not valid YAML/],
    ['- a list', /not a YAML mapping/],
    ['listen_port: 0', /listen_port/],
    ['mail_servers: [{name: x, host: "a b", imap_port: 1, smtp_port: 2, security: tls}]', /mail_servers\.0\.host/],
    ['session_secret: short', /session_secret/],
    ['listen_port: 1\nlisten_port: 2', /not valid YAML/],
    ['a: &x [1, 2]\nb: *x', /aliases/],
  ])('refuses %j', (text, why) => {
    let thrown: unknown
    try {
      parseConfig(text, FILE)
    }
    catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(WebmailConfigError)
    expect((thrown as WebmailConfigError).detail).toMatch(why)
    expect((thrown as WebmailConfigError).detail).toContain(FILE)
  })
})
