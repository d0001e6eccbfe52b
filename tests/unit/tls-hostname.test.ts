import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { hostname, hostnameOrWildcard, publicHostname } from '../../shared/schemas/certificates'
import { hostnames } from '#server/services/tls/hostname'

const ok = (schema: v.GenericSchema, input: unknown) => v.safeParse(schema, input).success

const HOSTILE = [
  '', '.', '..', '../etc', 'mail..example.com', 'mail/example.com', '/etc/passwd', 'a\\b',
  'mail.example.com;rm -rf /', 'a;b', '$(id).example.com', '`id`.example.com', 'a|b', 'a&b', 'a>b', 'a<b', '$HOME',
  'mail example.com', ' mail.example.com x', 'mail.example.com\n', 'tab\there', 'quo\'te', 'dou"ble', 'a*b.com', '*', '*.com.', '-lead.example.com',
  'trail-.example.com', 'mail.example.com.', '.mail.example.com', 'mäil.example.com', 'ｍail.example.com', 'пример.рф', 'a\u0000b',
  `${'a'.repeat(64)}.example.com`, `${'a.'.repeat(126)}aa`, '--help', '-d',
]

describe('certificate hostnames', () => {
  it('accepts DNS hostnames, lower-casing and trimming them', () => {
    for (const name of ['mail.example.com', 'localhost', 'a', 'xn--mil-cla.example.com', 'mx-1.sub.example.co.uk', `${'a'.repeat(63)}.example.com`, `${'a.'.repeat(125)}aaa`]) {
      expect(v.parse(hostname, name), name).toBe(name)
      expect(hostnames.isValid(name), name).toBe(true)
      expect(hostnames.safe(name)).toBe(name)
    }
    expect(v.parse(hostname, '  Mail.Example.COM ')).toBe('mail.example.com')
  })

  it('refuses path tricks, shell metacharacters, whitespace, unicode and overlong labels or names', () => {
    for (const name of HOSTILE) {
      // The API trims surrounding whitespace before checking (asserted below).
      if (name.trim() === name) expect(ok(hostname, name), JSON.stringify(name)).toBe(false)
      expect(hostnames.isValid(name), JSON.stringify(name)).toBe(false)
      expect(() => hostnames.safe(name), JSON.stringify(name)).toThrow(/not a plain DNS name/)
    }
    expect(ok(hostname, 42)).toBe(false)
    expect(v.parse(hostname, 'mail.example.com\n')).toBe('mail.example.com')
  })

  it('wants a fully qualified name for certbot and allows a left-most wildcard only as an upload target', () => {
    expect(ok(publicHostname, 'localhost')).toBe(false)
    expect(ok(publicHostname, 'mail.example.com')).toBe(true)
    expect(v.parse(hostnameOrWildcard, '*.Example.com')).toBe('*.example.com')
    for (const bad of ['*.com', 'mail.*.example.com', '**.example.com', '*example.com', '*.*.example.com', '*./etc']) {
      expect(ok(hostnameOrWildcard, bad), bad).toBe(false)
    }
    // A wildcard is never a path segment or an argument.
    expect(() => hostnames.safe('*.example.com')).toThrow()
  })
})
