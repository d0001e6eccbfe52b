import { generateKeyPairSync } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { BackupDocument } from '#shared/schemas/backup'
import { backupArchive, canonicalJson, checksum, MACHINE_KEYS, MAX_DOCUMENT_BYTES } from '#server/services/backup/backup-archive'
import { ApiError } from '#server/utils/errors'
import { CONFIG, HASH, pem, T, tables, VERSIONS } from '../support/backup-fixture'

function documentWith(change: (doc: BackupDocument) => void = () => {}, resign = true): Record<string, unknown> {
  const doc = structuredClone(backupArchive.build({ createdAt: new Date(T.slice(0, 19) + 'Z'), schemaVersions: VERSIONS, tables: tables(), files: { 'config.env': CONFIG } }))
  change(doc)
  return resign ? { ...doc, sha256: checksum(doc) } : doc
}

function refusal(input: unknown): ApiError {
  try {
    backupArchive.validate(input, VERSIONS)
  }
  catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error('the archive was accepted')
}

describe('canonicalJson and checksum', () => {
  it('ignores key order and whitespace, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,1]},"b":1}')
    expect(canonicalJson(JSON.parse('{ "a" : { "d" : [3,1] , "c":"x"}, "b":1 }'))).toBe(canonicalJson({ b: 1, a: { c: 'x', d: [3, 1] } }))
    expect(canonicalJson([1, 3])).not.toBe(canonicalJson([3, 1]))
  })

  it('covers everything but the sha256 member', () => {
    // Known answer: `printf '%s' '{"a":[2,"x"],"b":{"c":null,"d":true}}' | sha256sum`.
    expect(checksum({ b: { d: true, c: null }, sha256: 'not covered', a: [2, 'x'] })).toBe('3e8da4df7ddedd4c7393d78f31213af256a6dd3da080a101fb2b1c586e702694')
    const doc = documentWith()
    expect(checksum({ ...doc, sha256: 'anything' })).toBe(doc.sha256)
    expect(checksum({ ...doc, created_at: '2026-05-28T10:15:01Z' })).not.toBe(doc.sha256)
  })
})

describe('backupArchive.validate', () => {
  it('accepts what build produced, re-serialized any way, unchanged', () => {
    const doc = documentWith()
    const pretty = JSON.parse(JSON.stringify(doc, null, 2)) as unknown
    expect(backupArchive.validate(pretty, VERSIONS)).toEqual(doc)
  })

  it('refuses what is not an archive of this format', () => {
    expect(refusal(null).code).toBe('BACKUP_INVALID')
    expect(refusal([]).code).toBe('BACKUP_INVALID')
    expect(refusal({ format: 'something-else', version: 1 }).detail).toMatch(/not a backendside-mailpanel-backup archive/)
    expect(refusal(documentWith(d => Object.assign(d, { version: '1' }))).detail).toMatch(/version: must be a number/)
    const deep = JSON.parse(`{"format":"backendside-mailpanel-backup","version":1,"sha256":"0","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`) as unknown
    expect(refusal(deep).detail).toMatch(/nested too deeply/)
  })

  it('a changed value with the old checksum → 400 naming sha256, with "nothing was changed"', () => {
    const err = refusal(documentWith(d => (d.tables.domains[0]!.name = 'evil.example'), false))
    expect(err.status).toBe(400)
    expect(err.code).toBe('BACKUP_INVALID')
    expect(err.detail).toMatch(/^sha256: does not match/)
    expect(err.detail).toMatch(/nothing was changed/)
    expect(refusal(documentWith(d => Reflect.deleteProperty(d, 'sha256'), false)).detail).toMatch(/sha256: is missing/)
  })

  it('another format version or schema → 409 BACKUP_INCOMPATIBLE', () => {
    const newer = refusal(documentWith(d => Object.assign(d, { version: 2 })))
    expect([newer.status, newer.code]).toEqual([409, 'BACKUP_INCOMPATIBLE'])
    expect(refusal(documentWith(d => (d.schema_versions = ['0001_core']))).code).toBe('BACKUP_INCOMPATIBLE')
    expect(refusal(documentWith(d => (d.schema_versions = [...VERSIONS, '0003_next']))).detail).toMatch(/0003_next/)
  })

  it('checks every row: types, required and unknown columns, hash and name formats', () => {
    const cases: [string, (d: BackupDocument) => void, RegExp][] = [
      ['plaintext password', d => (d.tables.mailboxes[0]!.password = 'secret-password'), /tables\.mailboxes\.0\.password/],
      ['hash without the Dovecot prefix', d => (d.tables.mailboxes[0]!.password = HASH.slice('{BLF-CRYPT}'.length)), /tables\.mailboxes\.0\.password/],
      ['upper-case domain', d => (d.tables.domains[0]!.name = 'Alpha.example'), /tables\.domains\.0\.name/],
      ['path in a domain name', d => (d.tables.domains[1]!.name = '../etc.example'), /tables\.domains\.1\.name/],
      ['path in a username', d => (d.tables.mailboxes[0]!.username = 'a/b'), /tables\.mailboxes\.0\.username/],
      ['string id', d => Object.assign(d.tables.domains[0]!, { id: '1' }), /tables\.domains\.0\.id/],
      ['negative id', d => (d.tables.aliases[0]!.id = -3), /tables\.aliases\.0\.id/],
      ['missing column', d => Reflect.deleteProperty(d.tables.domains[0]!, 'active'), /tables\.domains\.0\.active/],
      ['unknown column', d => Object.assign(d.tables.api_tokens[0]!, { token: 'bsmp_plain' }), /tables\.api_tokens\.0\.token/],
      ['token hash not hex', d => (d.tables.api_tokens[0]!.token_hash = 'F'.repeat(64)), /tables\.api_tokens\.0\.token_hash/],
      ['bad timestamp', d => (d.tables.domains[0]!.created_at = 'yesterday'), /tables\.domains\.0\.created_at/],
      ['bad IP in an allowlist', d => (d.tables.security_settings[0]!.admin_login_whitelist = ['10.0.0.0/33']), /admin_login_whitelist/],
      ['limit out of range', d => (d.tables.server_settings[0]!.max_recipients = 0), /tables\.server_settings\.0\.max_recipients/],
      ['empty destinations', d => (d.tables.aliases[0]!.destinations = []), /tables\.aliases\.0\.destinations/],
      ['no server settings row', d => (d.tables.server_settings = []), /tables\.server_settings/],
      ['a table missing', d => Reflect.deleteProperty(d.tables, 'webhooks'), /tables\.webhooks/],
      ['an extra table', d => Object.assign(d.tables, { webhook_deliveries: [] }), /webhook_deliveries/],
    ]
    for (const [name, change, detail] of cases) {
      const err = refusal(documentWith(change))
      expect(err.code, name).toBe('VALIDATION_FAILED')
      expect(err.detail, name).toMatch(detail)
      expect(err.detail, name).not.toMatch(/secret-password|bsmp_plain/)
    }
  })

  it('checks the rows fit together: unique keys and every domain_id present', () => {
    const cases: [(d: BackupDocument) => void, RegExp][] = [
      [d => d.tables.domains.push({ ...d.tables.domains[0]!, name: 'other.example' }), /tables\.domains\.2\.id: repeats row 0/],
      [d => d.tables.domains.push({ ...d.tables.domains[0]!, id: 99 }), /tables\.domains\.2\.name: repeats row 0/],
      [d => d.tables.mailboxes.push({ ...d.tables.mailboxes[0]!, id: 11 }), /tables\.mailboxes\.1\.username: repeats row 0/],
      [d => d.tables.aliases.push({ ...d.tables.aliases[0]!, id: 6 }), /tables\.aliases\.2\.local_part: repeats row 0/],
      [d => d.tables.api_tokens.push({ ...d.tables.api_tokens[0]!, id: 3 }), /tables\.api_tokens\.1\.token_hash: repeats row 0/],
      [d => (d.tables.mailboxes[0]!.domain_id = 2), /tables\.mailboxes\.0\.domain_id: domain 2 is not among the archive's domains/],
      [d => (d.tables.aliases[1]!.domain_id = 7), /tables\.aliases\.1\.domain_id/],
    ]
    for (const [change, detail] of cases) expect(refusal(documentWith(change)).detail).toMatch(detail)
    // The same username in two domains is fine.
    expect(() => backupArchive.validate(documentWith(d => d.tables.mailboxes.push({ ...d.tables.mailboxes[0]!, id: 12, domain_id: 4 })), VERSIONS)).not.toThrow()
  })

  it('checks the files can be written back and loaded', () => {
    expect(refusal(documentWith(d => (d.files['config.env'] = 'API_KEY="it\'s"\n'))).detail).toMatch(/API_KEY must not contain a single quote/)
    expect(refusal(documentWith(d => (d.files['config.env'] = 'ADMIN_PASSWORD_HASH=plain\n'))).detail).toMatch(/ADMIN_PASSWORD_HASH must be a bcrypt hash/)
    expect(refusal(documentWith(d => (d.files['config.env'] = 'LOG_FORMAT=xml\n'))).detail).toMatch(/LOG_FORMAT/)
    expect(refusal(documentWith(d => (d.files['firewall.json'] = '{oops'))).detail).toMatch(/firewall\.json/)
    expect(refusal(documentWith(d => Object.assign(d.files, { passwd: 'root:x:0:0' }))).detail).toMatch(/passwd/)
    expect(() => backupArchive.validate(documentWith(d => (d.files['audit.log'] = '{"action":"x"}\n')), VERSIONS)).not.toThrow()
  })

  it('checks every config.env value with the start-up rules, machine keys included', () => {
    const cases: [string, RegExp][] = [
      ['HTTPS=maybe', /files\.config\.env: HTTPS must be on or off/],
      ['MAIL_HOSTNAME=\'bad host\'', /files\.config\.env: MAIL_HOSTNAME must be a DNS name/],
      ['PORT=99999', /files\.config\.env: PORT must be a port number 0\.\.65535/],
      ['JWT_SECRET=short', /files\.config\.env: JWT_SECRET must be at least 32 bytes/],
      ['HOST=\'not a host\'', /files\.config\.env: HOST/],
      ['POLICYD_LISTEN=10031', /files\.config\.env: POLICYD_LISTEN must be host:port/],
    ]
    for (const [line, detail] of cases) {
      const err = refusal(documentWith(d => (d.files['config.env'] = `${CONFIG}${line}\n`)))
      expect([err.status, err.code], line).toEqual([400, 'VALIDATION_FAILED'])
      expect(err.detail, line).toMatch(detail)
      expect(err.detail, line).toMatch(/nothing was changed/)
    }
    // The machine keeps its own JWT_SECRET, so an archive need not carry one.
    expect(() => backupArchive.validate(documentWith(d => (d.files['config.env'] = 'ADMIN_USER=\'admin\'\n')), VERSIONS)).not.toThrow()
  })

  it('refuses anti-spam and DKIM rows the API would refuse, and a DKIM private key that is not the published one\'s', () => {
    const cases: [string, (d: BackupDocument) => void, RegExp][] = [
      ['a /33 network', d => (d.tables.spam_whitelist[0]!.value = '10.0.0.0/33'), /tables\.spam_whitelist\.0\.value: the prefix length must be at most 32/],
      ['a zone with a newline', d => (d.tables.antispam_settings[0]!.dnsbl_zones = ['zen.spamhaus.org\nrelayhost = x']), /tables\.antispam_settings\.0\.dnsbl_zones/],
      ['a selector with a path', d => (d.tables.dkim_keys[0]!.selector = '../x'), /tables\.dkim_keys\.0\.selector/],
      ['a key of another domain', d => (d.tables.dkim_keys[0]!.domain_id = 99), /tables\.dkim_keys\.0\.domain_id: domain 99 is not among/],
      ['a swapped private key', d => (d.tables.dkim_keys[0]!.private_key = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)), /tables\.dkim_keys\.0\.private_key: does not belong to the public key/],
      ['an Ed25519 key filed as RSA', d => Object.assign(d.tables.dkim_keys[1]!, { algorithm: 'rsa', bits: 1024 }), /tables\.dkim_keys\.1\.private_key: is a ed25519 key, not rsa/],
      ['two active keys for one domain', d => void Object.assign(d.tables.dkim_keys[1]!, { algorithm: 'rsa', status: 'active' }), /tables\.dkim_keys/],
    ]
    for (const [what, change, detail] of cases) {
      const err = refusal(documentWith(change))
      expect([err.status, err.code], what).toEqual([400, 'VALIDATION_FAILED'])
      expect(err.detail, what).toMatch(detail)
    }
    expect(() => backupArchive.validate(documentWith(), VERSIONS)).not.toThrow()
    // One active key per algorithm: an Ed25519 key signs next to the RSA one (the second OpenDKIM).
    expect(() => backupArchive.validate(documentWith(d => void Object.assign(d.tables.dkim_keys[1]!, { status: 'active', activated_at: T })), VERSIONS)).not.toThrow()
  })

  it('checks rows with the API\'s own schemas and cross-field rules', () => {
    const mailstack = { id: true, smtp_listen: '25', submission_listen: '587', submission_plain_listen: null, imap_listen: '*, ::', imap_port: 143, imaps_port: 993, inet_interfaces: 'all', inet_protocols: 'all', auth_failure_delay: 2, greylist_listen: '127.0.0.1:10023', clamsmtp_listen: '127.0.0.1:10025', reinject_listen: '127.0.0.1:10026', spampd_listen: '127.0.0.1:10027', updated_at: T } as const
    const cases: [string, (d: BackupDocument) => void, RegExp][] = [
      ['a scoped IPv6 listen address', d => (d.tables.mailstack_settings = [{ ...mailstack, smtp_listen: '[fe80::1%eth0]:25' }]), /tables\.mailstack_settings\.0\.smtp_listen: a scoped IPv6 address/],
      ['a duplicate port pair', d => (d.tables.mailstack_settings = [{ ...mailstack, imap_port: 993 }]), /tables\.mailstack_settings\.0\.imap_port: imap_port and imaps_port both use port 993/],
      ['an IPv6 interface with inet_protocols ipv4', d => (d.tables.mailstack_settings = [{ ...mailstack, inet_interfaces: '::1', inet_protocols: 'ipv4' }]), /tables\.mailstack_settings\.0\.inet_interfaces/],
      ['a domain name with a blank', d => (d.tables.domains[0]!.name = 'bad host.example'), /tables\.domains\.0\.name: must be a domain name/],
      ['an untrimmed mailbox name', d => (d.tables.mailboxes[0]!.name = ' Jane '), /tables\.mailboxes\.0\.name: is not in the form the API stores/],
      ['a repeated destination', d => (d.tables.aliases[0]!.destinations = ['a@example.org', 'a@example.org']), /tables\.aliases\.0\.destinations: is not in the form the API stores/],
      ['an upper-case destination', d => (d.tables.aliases[0]!.destinations = ['A@example.org']), /tables\.aliases\.0\.destinations\.0/],
      ['a webhook secret the API would refuse', d => (d.tables.webhooks[0]!.secret = 'short'), /tables\.webhooks\.0\.secret: must be at least 16/],
      ['a webhook event that does not exist', d => Object.assign(d.tables.webhooks[0]!, { events: ['domain.renamed'] }), /tables\.webhooks\.0\.events/],
      ['an unknown column', d => Object.assign(d.tables.domains[0]!, { owner: 'x' }), /tables\.domains\.0\.owner: is not a column of this table/],
    ]
    for (const [name, change, detail] of cases) {
      const err = refusal(documentWith(change))
      expect(err.code, name).toBe('VALIDATION_FAILED')
      expect(err.detail, name).toMatch(detail)
    }
    expect(() => backupArchive.validate(documentWith(d => (d.tables.mailstack_settings = [{ ...mailstack }])), VERSIONS)).not.toThrow()
  })
})

describe('backupArchive.decode', () => {
  const refusedWith = async (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err as ApiError)

  it('round-trips encode → decode', async () => {
    const doc = documentWith() as BackupDocument
    expect(await backupArchive.decode(await backupArchive.encode(doc), 'gzip')).toEqual(doc)
    expect(await backupArchive.decode(Buffer.from(JSON.stringify(doc)), 'json')).toEqual(doc)
  })

  it('says what is wrong with bytes that are not an archive', async () => {
    const gz = await backupArchive.encode(documentWith() as BackupDocument)
    expect((await refusedWith(backupArchive.decode(Buffer.alloc(0), 'gzip')))?.detail).toMatch(/empty/)
    expect((await refusedWith(backupArchive.decode(Buffer.from('hello'), 'gzip')))?.detail).toMatch(/not a gzip archive/)
    expect((await refusedWith(backupArchive.decode(gz.subarray(0, gz.length - 20), 'gzip')))?.detail).toMatch(/damaged or truncated/)
    expect((await refusedWith(backupArchive.decode(gzipSync('{"a":'), 'gzip')))?.detail).toMatch(/valid JSON/)
  })

  it('stops a gzip bomb at the inflated-size cap (413)', async () => {
    // Concatenated gzip members inflate as one stream: ~1 MiB of input expands past the cap.
    const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 })
    const bomb = Buffer.concat(Array.from({ length: MAX_DOCUMENT_BYTES / (1024 * 1024) + 1 }, () => member))
    expect(bomb.length).toBeLessThan(1024 * 1024 * 2)
    const err = await refusedWith(backupArchive.decode(bomb, 'gzip'))
    expect([err?.status, err?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
  }, 30_000) // inflating up to the cap is real CPU work: seconds on a loaded 2-core machine
})

describe('backupArchive.mergeConfig', () => {
  it('takes the panel state from the archive and the machine keys from the running server', () => {
    const archived = `JWT_SECRET='old-secret-old-secret-old-secret-0'\nDATABASE_URL='postgres://old-host/db'\nPORT='9000'\nADMIN_PASSWORD_HASH='$2b$12$x'\nAPI_KEY='archived-key'\nMAIL_HOSTNAME='mx.example.com'\n`
    const current = `JWT_SECRET='current-secret-current-secret-000'\nDATABASE_URL='postgres://new-host/db'\nAPI_KEY='current-key'\nLOG_FORMAT='json'\n`
    const merged = backupArchive.mergeConfig(archived, current)
    expect(merged).toContain('JWT_SECRET=\'current-secret-current-secret-000\'')
    expect(merged).toContain('DATABASE_URL=\'postgres://new-host/db\'')
    expect(merged).toContain('API_KEY=\'archived-key\'')
    expect(merged).toContain('ADMIN_PASSWORD_HASH=\'$2b$12$x\'')
    expect(merged).toContain('MAIL_HOSTNAME=\'mx.example.com\'')
    // A machine key the server does not set is not taken from the archive; a state key the archive lacks is dropped.
    expect(merged).not.toContain('PORT=')
    expect(merged).not.toContain('LOG_FORMAT=')
    expect(MACHINE_KEYS).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'HOST', 'PORT']))
  })
})

describe('backupArchive.fileName', () => {
  it('is a UTC timestamp without separators', () => {
    expect(backupArchive.fileName(new Date('2026-05-28T10:15:07.456Z'))).toBe('mailpanel-backup-20260528T101507Z.jsonl.gz')
  })
})
