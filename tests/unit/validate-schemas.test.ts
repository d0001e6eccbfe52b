import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { aliasCreateSchema, aliasSource } from '#shared/schemas/alias'
import { loginSchema } from '#shared/schemas/auth'
import { domainName, emailAddress, id, localPart } from '#shared/schemas/common'
import { domainCreateSchema } from '#shared/schemas/domain'
import { mailboxCreateSchema, mailboxPassword, mailboxUsername } from '#shared/schemas/mailbox'
import { scrubSecrets } from '#server/utils/errors'

/** The parsed output, or undefined when the schema rejects the input. */
function parsed<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, input)
  return result.success ? result.output : undefined
}

const label63 = 'a'.repeat(63)

describe('domainName', () => {
  it.each([
    ['example.com', 'example.com'],
    ['mail.sub.example.co.uk', 'mail.sub.example.co.uk'],
    ['a-b.io', 'a-b.io'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a.b', 'a.b'],
    ['123.example', '123.example'],
    [`${label63}.com`, `${label63}.com`],
    ['  Example.COM  ', 'example.com'],
  ])('accepts %j as %j', (input, output) => {
    expect(parsed(domainName, input)).toBe(output)
  })

  it.each([
    '',
    'localhost',
    'example',
    '.example.com',
    'example.com.',
    'example..com',
    '-example.com',
    'example-.com',
    'exa_mple.com',
    'exa mple.com',
    'bücher.de',
    '1.2.3.4',
    'example.c_m',
    `${'a'.repeat(64)}.com`,
    '../etc/passwd.com',
    'ex/ample.com',
    'example.com;rm',
    '$(id).example.com',
    'user@example.com',
  ])('rejects %j', (input) => {
    expect(parsed(domainName, input)).toBeUndefined()
  })

  it('rejects a name longer than 253 characters and accepts one of 253', () => {
    const labels = (n: number) => Array.from({ length: n }, () => label63)
    const exact = `${labels(3).join('.')}.${'b'.repeat(61)}` // 3 * 64 + 61 = 253
    expect(exact).toHaveLength(253)
    expect(parsed(domainName, exact)).toBe(exact)
    const tooLong = `${labels(3).join('.')}.${'b'.repeat(62)}` // 254, every label valid
    expect(tooLong).toHaveLength(254)
    expect(parsed(domainName, tooLong)).toBeUndefined()
  })

  it.each([null, undefined, 42, true, ['example.com'], { name: 'example.com' }])('rejects the non-string %j', (input) => {
    expect(parsed(domainName, input)).toBeUndefined()
  })
})

describe('localPart', () => {
  it.each([
    ['john', 'john'],
    ['john.doe', 'john.doe'],
    ['a_b-c.d', 'a_b-c.d'],
    ['0', '0'],
    ['JOHN.Doe', 'john.doe'],
    [' john ', 'john'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('accepts %j as %j', (input, output) => {
    expect(parsed(localPart, input)).toBe(output)
  })

  it.each(['', '.john', 'john.', 'jo..hn', 'john+tag', 'jo hn', 'jöhn', 'a@b', 'x'.repeat(65), '../x', 'a/b', 'a;b', '*'])('rejects %j', (input) => {
    expect(parsed(localPart, input)).toBeUndefined()
  })
})

describe('mailboxUsername', () => {
  it.each([
    ['jane', 'jane'],
    ['jane.doe', 'jane.doe'],
    ['jane@example.com', 'jane@example.com'],
    ['Jane@Example.COM', 'jane@example.com'],
    [' jane ', 'jane'],
  ])('accepts %j as %j', (input, output) => {
    expect(parsed(mailboxUsername, input)).toBe(output)
  })

  it.each([
    '',
    '@example.com',
    'jane@',
    'jane@@example.com',
    'jane@example.com@example.com',
    'jane@bad_domain.com',
    'jane+tag@example.com',
    '.jane@example.com',
    'ja ne',
    `${'x'.repeat(65)}@example.com`,
    '../jane',
  ])('rejects %j', (input) => {
    expect(parsed(mailboxUsername, input)).toBeUndefined()
  })

  // The server then compares the domain part with the mailbox's domain and names the one it must be.
  it.each(['jane@localhost', 'jane@exa', 'jane@example.co'])('leaves a partial or other domain in %j to the server, which names the right one', (input) => {
    expect(parsed(mailboxUsername, input)).toBe(input)
  })
})

describe('aliasSource', () => {
  it.each([
    ['info', 'info'],
    ['info@example.com', 'info@example.com'],
    ['@example.com', '@example.com'],
    ['Sales.Team@Example.COM', 'sales.team@example.com'],
  ])('accepts %j as %j', (input, output) => {
    expect(parsed(aliasSource, input)).toBe(output)
  })

  it.each([
    '',
    '@',
    '@bad_domain.com',
    'info@',
    'a@b@example.com',
    '@@example.com',
    'in fo',
    '.info',
    'info+x',
    `${'x'.repeat(65)}`,
  ])('rejects %j', (input) => {
    expect(parsed(aliasSource, input)).toBeUndefined()
  })

  it.each(['@bad', 'info@exa'])('leaves a partial or other domain in %j to the server, which names the right one', (input) => {
    expect(parsed(aliasSource, input)).toBe(input)
  })
})

describe('emailAddress', () => {
  it.each([
    ['user@example.com', 'user@example.com'],
    ['user+tag@example.com', 'user+tag@example.com'],
    ['a%b=c@sub.example.io', 'a%b=c@sub.example.io'],
    ['first.last@example.com', 'first.last@example.com'],
    [' USER@Example.COM ', 'user@example.com'],
  ])('accepts %j as %j', (input, output) => {
    expect(parsed(emailAddress, input)).toBe(output)
  })

  it.each([
    '',
    'user',
    'user@',
    '@example.com',
    'user@@example.com',
    'user@example',
    'user@example.',
    'user@-example.com',
    '.user@example.com',
    'user.@example.com',
    'us..er@example.com',
    'us er@example.com',
    'user@exam ple.com',
    'user@example.com,other@example.com',
    'user@example.com\nBcc: x@example.com',
    'üser@example.com',
  ])('rejects %j', (input) => {
    expect(parsed(emailAddress, input)).toBeUndefined()
  })

  it('accepts 254 characters and rejects 255 even when every part is valid', () => {
    const domain = (tldLength: number) => `${label63}.${label63}.${label63}.${'c'.repeat(tldLength)}`
    expect(`u@${domain(60)}`).toHaveLength(254)
    expect(parsed(emailAddress, `u@${domain(60)}`)).toBe(`u@${domain(60)}`)
    expect(parsed(emailAddress, `u@${domain(61)}`)).toBeUndefined()
  })
})

describe('request schemas', () => {
  it('id accepts 1..2147483647 integers only', () => {
    expect(parsed(id, 1)).toBe(1)
    expect(parsed(id, 2_147_483_647)).toBe(2_147_483_647)
    for (const bad of [0, -1, 1.5, 2_147_483_648, Number.NaN, '1', null]) expect(parsed(id, bad)).toBeUndefined()
  })

  it('mailbox passwords are 8 characters to 72 bytes', () => {
    expect(parsed(mailboxPassword, '12345678')).toBe('12345678')
    expect(parsed(mailboxPassword, '1234567')).toBeUndefined()
    expect(parsed(mailboxPassword, 'x'.repeat(72))).toBe('x'.repeat(72))
    expect(parsed(mailboxPassword, 'x'.repeat(73))).toBeUndefined()
    // 36 two-byte characters = 72 bytes; 37 = 74 bytes.
    expect(parsed(mailboxPassword, 'é'.repeat(36))).toBe('é'.repeat(36))
    expect(parsed(mailboxPassword, 'é'.repeat(37))).toBeUndefined()
  })

  it('create schemas reject unknown keys', () => {
    expect(parsed(domainCreateSchema, { name: 'example.com' })).toEqual({ name: 'example.com' })
    expect(parsed(domainCreateSchema, { name: 'example.com', owner: 'x' })).toBeUndefined()
    expect(parsed(mailboxCreateSchema, { domain_id: 1, username: 'jane', password: 'long-enough' })).toMatchObject({ username: 'jane' })
    expect(parsed(mailboxCreateSchema, { domain_id: 1, username: 'jane', password: 'long-enough', password_hash: 'x' })).toBeUndefined()
    expect(parsed(loginSchema, { username: 'admin', password: 'x', remember: true })).toBeUndefined()
  })

  it('alias destinations must be addresses, at least one, and are de-duplicated', () => {
    const ok = parsed(aliasCreateSchema, { domain_id: 1, source: 'info', destinations: ['a@example.com', 'A@example.com'] })
    expect(ok?.destinations).toEqual(['a@example.com'])
    expect(parsed(aliasCreateSchema, { domain_id: 1, source: 'info', destinations: [] })).toBeUndefined()
    expect(parsed(aliasCreateSchema, { domain_id: 1, source: 'info', destinations: ['not-an-address'] })).toBeUndefined()
    expect(parsed(aliasCreateSchema, { domain_id: 1, source: 'info', destinations: 'a@example.com' })).toBeUndefined()
  })
})

describe('scrubSecrets', () => {
  it('removes a postgres:// DSN with credentials from a message', () => {
    const out = scrubSecrets('connect ECONNREFUSED postgres://panel:s3cretPass@db.internal:5432/mailpanel failed')
    expect(out).not.toContain('s3cretPass')
    expect(out).not.toContain('panel:')
    expect(out).not.toContain('postgres://')
    expect(out).toContain('[redacted]')
    expect(out).toMatch(/^connect ECONNREFUSED .* failed$/)
  })

  it.each([
    'postgresql://user:pass@host/db',
    'postgres://user:pass@host:5432/db?sslmode=require',
    'postgres://user:p@ss@host/db',
    'postgres://user@host/db',
    'postgres://host/db',
    'mysql://user:pass@host/db',
    'redis://:pass@host:6379/0',
  ])('removes %s', (dsn) => {
    const out = scrubSecrets(`error: "${dsn}" and more`)
    expect(out).not.toContain(dsn)
    expect(out).not.toMatch(/pass/)
    expect(out).toContain('and more')
  })

  it('removes key=value passwords', () => {
    const out = scrubSecrets('host=db user=panel password=hunter2 dbname=mail')
    expect(out).not.toContain('hunter2')
    expect(out).toContain('host=db')
  })

  it('scrubs every occurrence, including across lines of a stack', () => {
    const out = scrubSecrets('Error: postgres://a:one@h/db\n    at x (postgres://b:two@h/db)')
    expect(out).not.toMatch(/one|two/)
  })

  it('leaves ordinary text alone', () => {
    const text = 'duplicate key value violates unique constraint "domains_name_key" at https://example.com/docs'
    expect(scrubSecrets(text)).toBe(text)
  })
})
