import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configProblems, configRules } from '#lib/config-rules.mjs'
import { ConfigError, loadConfig } from '#server/utils/config'
import { SetupError, validate } from '../../scripts/setup/validate.mjs'

const SECRET = 'x'.repeat(32)

describe('config rules (one rule per key, shared by start-up, setup and restore)', () => {
  it.each([
    ['HTTPS', 'maybe', /on or off/],
    ['PORT', '99999', /0\.\.65535/],
    ['PORT', '08080', /0\.\.65535/],
    ['PORT', '-1', /0\.\.65535/],
    ['LOG_FORMAT', 'xml', /text or json/],
    ['MAIL_HOSTNAME', 'bad host', /DNS name/],
    ['MAIL_HOSTNAME', 'mail..example.com', /DNS name/],
    ['MAIL_HOSTNAME', '-mail.example.com', /DNS name/],
    ['JWT_SECRET', 'x'.repeat(31), /at least 32 bytes/],
    ['ADMIN_PASSWORD_HASH', 'plain', /bcrypt/],
    ['HOST', 'not a host', /IP address or a host name/],
    ['POLICYD_LISTEN', '10031', /host:port/],
    ['DATABASE_URL', 'mysql://x', /postgres:\/\//],
    ['METRICS_ALLOW', '10.0.0.0/33', /IP addresses or CIDRs/],
    ['METRICS_ALLOW', '10.0.0.1 -j ACCEPT', /IP addresses or CIDRs/],
    ['METRICS_ALLOW', 'fe80::1%eth0', /IP addresses or CIDRs/],
    ['METRICS_ALLOW', ',', /IP addresses or CIDRs/],
    ['MAILLOG_SOURCE', 'syslog', /file or journald/],
    ['MAILLOG_JOURNAL_DIR', 'var/log/journal', /absolute path/],
    ['MAILLOG_JOURNAL_DIR', '/var/log/../../etc', /absolute path/],
  ])('%s=%s is refused', (key, value, message) => {
    expect(configRules[key]!(value)).toMatch(message)
  })

  it.each([
    ['HTTPS', 'on'], ['PORT', '0'], ['PORT', '65535'], ['MAIL_HOSTNAME', 'localhost'], ['MAIL_HOSTNAME', 'MX-1.Example.com'],
    ['HOST', '::'], ['HOST', '0.0.0.0'], ['POLICYD_LISTEN', '[::1]:10031'], ['JWT_SECRET', SECRET],
    ['METRICS_ALLOW', '127.0.0.1, 10.0.0.0/8 2001:db8::/32'], ['MAILLOG_SOURCE', 'journald'], ['MAILLOG_JOURNAL_DIR', '/var/log/journal/remote'],
  ])('%s=%s is accepted', (key, value) => {
    expect(configRules[key]!(value)).toBeUndefined()
  })

  it('requires JWT_SECRET unless told otherwise, and every value must be writable back', () => {
    expect(configProblems({})).toEqual([{ key: 'JWT_SECRET', message: 'is required' }])
    expect(configProblems({}, { required: [] })).toEqual([])
    expect(configProblems({ JWT_SECRET: SECRET, CUSTOM: 'it\'s' })).toEqual([{ key: 'CUSTOM', message: 'must not contain a single quote or a line break' }])
  })
})

describe('the same rules at start-up and in the installer', () => {
  const withConfig = (lines: string, env: Record<string, string> = {}) => {
    const root = mkdtempSync(join(tmpdir(), 'config-rules-'))
    try {
      mkdirSync(join(root, 'etc/backendside-mailpanel'), { recursive: true })
      writeFileSync(join(root, 'etc/backendside-mailpanel/config.env'), lines)
      return loadConfig({ MAILPANEL_ROOT: root, ...env })
    }
    finally {
      rmSync(root, { recursive: true, force: true })
    }
  }

  it('METRICS_ALLOW is read as a list (commas and/or spaces); the journal source is off unless asked for', () => {
    expect(withConfig(`JWT_SECRET='${SECRET}'\nMETRICS_ALLOW='127.0.0.1, 10.0.0.0/8 ::1'\n`)).toMatchObject({ metricsAllow: ['127.0.0.1', '10.0.0.0/8', '::1'], maillogSource: 'file' })
    expect(withConfig(`JWT_SECRET='${SECRET}'\n`, { MAILLOG_SOURCE: 'journald' })).toMatchObject({ metricsAllow: [], maillogSource: 'journald' })
  })

  it('loadConfig refuses what the rules refuse, naming the key (never a secret value)', () => {
    expect(() => withConfig(`JWT_SECRET='${SECRET}'\nHTTPS='maybe'\n`)).toThrow(new ConfigError('HTTPS must be on or off, got maybe'))
    expect(() => withConfig(`JWT_SECRET='${SECRET}'\nMAIL_HOSTNAME='bad host'\n`)).toThrow(/MAIL_HOSTNAME must be a DNS name/)
    expect(() => withConfig(`JWT_SECRET='short'\n`)).toThrow(/JWT_SECRET must be at least 32 bytes; refusing to start/)
    expect(() => withConfig('')).toThrow(/JWT_SECRET is not set/)
    expect(() => withConfig(`JWT_SECRET='${SECRET}'\nADMIN_PASSWORD_HASH='hunter2'\n`)).toThrow(/^ADMIN_PASSWORD_HASH must be a bcrypt hash \(\$2b\$…\)$/)
    // The environment overrides the file, for better and for worse.
    expect(withConfig(`JWT_SECRET='${SECRET}'\nHTTPS='maybe'\n`, { HTTPS: 'off' }).https).toBe(false)
    expect(() => withConfig(`JWT_SECRET='${SECRET}'\n`, { PORT: '99999' })).toThrow(/PORT must be a port number/)
    expect(withConfig(`JWT_SECRET='${SECRET}'\n`)).toMatchObject({ port: 8080, host: '127.0.0.1', logFormat: 'text', mailHostname: 'localhost', https: false, adminUser: 'admin' })
  })

  it('the installer refuses a hostname and a config.env with the same words', () => {
    expect(() => validate.hostname('bad host')).toThrow(SetupError)
    expect(() => validate.hostname('bad host')).toThrow(/--hostname must be a DNS name/)
    expect(() => validate.configValues('/etc/x/config.env', { JWT_SECRET: SECRET, HTTPS: 'maybe' })).toThrow(/config\.env: HTTPS must be on or off/)
  })
})
