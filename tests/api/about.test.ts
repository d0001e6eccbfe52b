import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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
 * What the endpoint does with postconf's answer, against a stand-in `postconf` (a shell script) on
 * PATH: no Postfix needed, and no `postfix` or `dovecot` binary, so the reconciler still skips the
 * mail stack. The real postconf and dovecot are the system suite's (tests/system/about.test.ts).
 */
describe('GET /api/v1/about with a postconf on PATH', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let bin: string
  /** Replaces the stand-in (a new file renamed over the old one: never a half-written executable). */
  const postconf = (script: string) => {
    writeFileSync(join(bin, '.postconf'), `#!/bin/sh\n${script}\n`, { mode: 0o755 })
    renameSync(join(bin, '.postconf'), join(bin, 'postconf'))
  }
  const about = async () => {
    const res = await api<About>('/api/v1/about', { baseUrl: server.url })
    expect(res.status).toBe(200)
    return res.body
  }

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'mailpanel-bin-'))
    postconf('exit 1')
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot({ MAIL_HOSTNAME: 'mail.about.example' }), databaseUrl: db.url, env: { PATH: `${bin}:${pathWithoutMailDaemons()}` } })
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
    if (bin) rmSync(bin, { recursive: true, force: true })
  })

  it('asks postconf for the built-in mail_version (-d -h: no main.cf needed) and shows its answer, and MAIL_HOSTNAME', async () => {
    // Answers only the exact question: any other arguments get nothing and a failure.
    postconf('[ "$*" = "-d -h mail_version" ] && echo 3.99.7 || exit 2')
    expect(await about()).toMatchObject({ postfix: '3.99.7', dovecot: 'not installed', mail_hostname: 'mail.about.example' })
  })

  it('shows "unknown" when postconf fails or says nothing', async () => {
    postconf('echo "postconf: fatal: oops" >&2; exit 1')
    expect((await about()).postfix).toBe('unknown')
    postconf('exit 0')
    expect((await about()).postfix).toBe('unknown')
  })
})
