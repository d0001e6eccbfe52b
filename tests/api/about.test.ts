import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json'
import { osRelease } from '#lib/os-release.mjs'
import { api } from '../support/client'
import { expectError } from '../support/expect'
import { createTestDatabase, makeRoot, pathWithoutMailDaemons, removeRoot, startServer, type TestServer } from '../support/server'

interface About { version: string, build: string, os: string, postfix: string, dovecot: string, hostname: string, mail_hostname: string }

const KEYS = ['build', 'dovecot', 'hostname', 'mail_hostname', 'os', 'postfix', 'version']
const OS_PRETTY_NAME = osRelease.parse(readFileSync('/etc/os-release', 'utf8')).prettyName

describe('GET /api/v1/about', () => {
  it('needs a signed-in admin or a key', async () => {
    expectError(await api('/api/v1/about', { auth: false }), 401, 'UNAUTHORIZED')
  })

  it('reports version, build, OS, hostnames, and "not installed" for daemons missing from PATH', async () => {
    // The API suite's server runs without the sbin folders on PATH: neither postconf nor dovecot is found.
    const res = await api<About>('/api/v1/about')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(KEYS)
    expect(res.body).toMatchObject({ version: pkg.version, os: OS_PRETTY_NAME, postfix: 'not installed', dovecot: 'not installed', hostname: hostname() })
    expect(res.body.build).toMatch(/^\d+$/)
    expect(typeof res.body.mail_hostname).toBe('string')
  })

  it('refuses query parameters', async () => {
    expectError(await api('/api/v1/about?verbose=1'), 400, 'VALIDATION_FAILED')
  })
})

/**
 * With the real postconf on PATH (alone: without `postfix` and `dovecot` the reconciler still skips
 * the mail stack, so nothing on this machine is touched) the version is Postfix's own answer.
 */
describe('GET /api/v1/about with postconf installed', () => {
  const postconf = ['/usr/sbin/postconf', '/usr/bin/postconf'].find(p => existsSync(p))
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let bin: string

  beforeAll(async () => {
    if (!postconf) throw new Error('this test needs Postfix\'s postconf (apt-get install postfix)')
    bin = mkdtempSync(join(tmpdir(), 'mailpanel-bin-'))
    symlinkSync(postconf, join(bin, 'postconf'))
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot({ MAIL_HOSTNAME: 'mail.about.example' }), databaseUrl: db.url, env: { PATH: `${bin}:${pathWithoutMailDaemons()}` } })
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
    if (bin) rmSync(bin, { recursive: true, force: true })
  })

  it('shows the Postfix version postconf reports, and MAIL_HOSTNAME', async () => {
    const res = await api<About>('/api/v1/about', { baseUrl: server.url })
    expect(res.status).toBe(200)
    expect(res.body.postfix).toMatch(/^\d+\.\d+(\.\d+)?$/)
    expect(res.body).toMatchObject({ dovecot: 'not installed', mail_hostname: 'mail.about.example' })
  })
})
