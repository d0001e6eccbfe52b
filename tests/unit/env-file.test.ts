import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { envFile } from '#lib/env-file.mjs'

const BCRYPT_HASH = '$2b$12$2WoO8.c0KjK0iYL/LZD.6uSXyWQNr5F4kfSBMar3F6FyDumxCCX4i'
const FILE_MODE_BITS = 0o777
const ROUND_TRIP_TIMEOUT_MS = 30_000

describe('envFile.parse', () => {
  it('skips blank lines and # comments, including indented ones', () => {
    const text = [
      '# BackendSide MailPanel',
      '',
      '   # indented comment',
      'A=1',
      '   ',
      '#B=2',
      'C=3',
    ].join('\n')
    expect(envFile.parse(text)).toEqual({ A: '1', C: '3' })
  })

  it('accepts an `export ` prefix', () => {
    expect(envFile.parse('export JWT_SECRET=abc\nexport   PORT=8080')).toEqual({ JWT_SECRET: 'abc', PORT: '8080' })
  })

  it('strips matching single or double quotes', () => {
    expect(envFile.parse(`A='single'\nB="double"\nC=bare`)).toEqual({ A: 'single', B: 'double', C: 'bare' })
  })

  it('keeps whitespace inside quotes but trims it around the key, the = and the line', () => {
    expect(envFile.parse(`  A = '  padded  '  \nB=  x  `)).toEqual({ A: '  padded  ', B: 'x' })
  })

  it('unescapes \\" \\\\ \\$ and \\` inside double quotes only', () => {
    expect(envFile.parse('A="say \\"hi\\" \\$HOME \\\\ \\`x\\`"')).toEqual({ A: 'say "hi" $HOME \\ `x`' })
    expect(envFile.parse(`A='\\$HOME'`)).toEqual({ A: '\\$HOME' })
  })

  it('keeps $ in values (bcrypt hashes) bare, single-quoted and double-quoted', () => {
    const parsed = envFile.parse(`BARE=${BCRYPT_HASH}\nSINGLE='${BCRYPT_HASH}'\nDOUBLE="${BCRYPT_HASH}"`)
    expect(parsed).toEqual({ BARE: BCRYPT_HASH, SINGLE: BCRYPT_HASH, DOUBLE: BCRYPT_HASH })
  })

  it('keeps = signs and # characters inside a value', () => {
    expect(envFile.parse('DATABASE_URL=postgres://u:p@h/db?sslmode=require&a=b\nK=abc#def')).toEqual({
      DATABASE_URL: 'postgres://u:p@h/db?sslmode=require&a=b',
      K: 'abc#def',
    })
  })

  it('reads empty values as empty strings', () => {
    expect(envFile.parse(`A=\nB=''\nC=""`)).toEqual({ A: '', B: '', C: '' })
  })

  it('leaves an unmatched quote in the value', () => {
    expect(envFile.parse(`A='abc\nB="\nC=abc'`)).toEqual({ A: '\'abc', B: '"', C: 'abc\'' })
  })

  it('handles CRLF line endings', () => {
    expect(envFile.parse('A=1\r\nB=\'two\'\r\n# c\r\n')).toEqual({ A: '1', B: 'two' })
  })

  it('ignores lines that are not KEY=VALUE', () => {
    expect(envFile.parse('just text\n1BAD=x\nBAD-KEY=x\n=x\nGOOD_1=ok')).toEqual({ GOOD_1: 'ok' })
  })

  it('lets a later line win over an earlier one', () => {
    expect(envFile.parse('PORT=1\nPORT=2')).toEqual({ PORT: '2' })
  })
})

describe('envFile.stringify', () => {
  it('starts with a comment and single-quotes every value', () => {
    const text = envFile.stringify({ ADMIN_PASSWORD_HASH: BCRYPT_HASH, PORT: '8080' })
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^# /)
    expect(lines).toContain(`ADMIN_PASSWORD_HASH='${BCRYPT_HASH}'`)
    expect(lines).toContain('PORT=\'8080\'')
    expect(text.endsWith('\n')).toBe(true)
  })

  it('drops undefined values', () => {
    expect(envFile.parse(envFile.stringify({ A: 'x', B: undefined }))).toEqual({ A: 'x' })
  })

  it('refuses values with a single quote or a line break', () => {
    expect(() => envFile.stringify({ A: 'it\'s' })).toThrow(/A/)
    expect(() => envFile.stringify({ A: 'x\ny' })).toThrow()
    expect(() => envFile.stringify({ A: 'x\ry' })).toThrow()
  })

  it('round-trips through parse for concrete config values', () => {
    const values = {
      DATABASE_URL: 'postgres://panel:p%40ss$word@127.0.0.1:5432/mailpanel',
      JWT_SECRET: 'a'.repeat(64),
      ADMIN_PASSWORD_HASH: BCRYPT_HASH,
      EMPTY: '',
      SPACES: '  a b  ',
      DOUBLE: 'say "hi" \\ `x`',
      HASH: '#not-a-comment',
    }
    expect(envFile.parse(envFile.stringify(values))).toEqual(values)
  })

  it('round-trips through parse for arbitrary keys and values', () => {
    const first = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_']
    const rest = [...first, ...'0123456789']
    const key = fc.tuple(fc.constantFrom(...first), fc.array(fc.constantFrom(...rest), { maxLength: 30 })).map(([a, b]) => a + b.join(''))
    const value = fc.string({ unit: 'binary', maxLength: 80 }).filter(s => !/['\r\n]/.test(s))
    fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (values) => {
      expect(envFile.parse(envFile.stringify(values))).toEqual({ ...values })
    }), { numRuns: 200 })
  }, ROUND_TRIP_TIMEOUT_MS)
})

describe('envFile.writeAtomic', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'envfile-test-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the content with mode 0600 and leaves no temp file', () => {
    const path = join(dir, 'config.env')
    const content = envFile.stringify({ JWT_SECRET: 'x'.repeat(40), ADMIN_PASSWORD_HASH: BCRYPT_HASH })
    envFile.writeAtomic(path, content)
    expect(readFileSync(path, 'utf8')).toBe(content)
    expect(statSync(path).mode & FILE_MODE_BITS).toBe(0o600)
    expect(readdirSync(dir)).toEqual(['config.env'])
  })

  it('replaces an existing, more open file and tightens it to 0600', () => {
    const path = join(dir, 'config.env')
    writeFileSync(path, 'OLD=1\n')
    chmodSync(path, 0o644)
    envFile.writeAtomic(path, 'NEW=\'2\'\n')
    expect(readFileSync(path, 'utf8')).toBe('NEW=\'2\'\n')
    expect(envFile.parse(readFileSync(path, 'utf8'))).toEqual({ NEW: '2' })
    expect(statSync(path).mode & FILE_MODE_BITS).toBe(0o600)
    expect(readdirSync(dir)).toEqual(['config.env'])
  })

  it('does not disturb other files in the folder', () => {
    writeFileSync(join(dir, 'audit.log'), 'line\n')
    envFile.writeAtomic(join(dir, 'config.env'), 'A=\'1\'\n')
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'config.env'])
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe('line\n')
  })
})
