import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendMail } from '../support/mail-clients'
import { startManagedStack, waitForRun, type ManagedStack } from '../support/managed-stack'
import type { DkimKey } from '#shared/types/dkim'

const exec = promisify(execFile)
const DOMAIN = 'dkim.e2e.test'
const USER = `alice@${DOMAIN}`
const PASSWORD = 'S3cret-alice-dkim'

// The whole message of the newest INBOX mail with this subject, over IMAP (STARTTLS, self-signed).
const FETCH = `
import imaplib, ssl, sys, time
port, user, password, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
for _ in range(100):
    m = imaplib.IMAP4('127.0.0.1', port); m.starttls(ssl._create_unverified_context()); m.login(user, password); m.select('INBOX', readonly=True)
    ids = m.search(None, 'SUBJECT', subject)[1][0].split()
    if ids:
        sys.stdout.buffer.write(m.fetch(ids[-1], '(BODY.PEEK[])')[1][0][1]); sys.exit(0)
    m.logout(); time.sleep(0.1)
sys.exit(1)
`

let stack: ManagedStack
const work = mkdtempSync(join(tmpdir(), 'dkim-verify-'))

beforeAll(async () => {
  stack = await startManagedStack()
}, 120_000)
afterAll(async () => {
  await stack?.stop()
})

async function send(subject: string): Promise<string> {
  const sent = await sendMail({ port: stack.ports.submission, from: USER, to: USER, subject, auth: { user: USER, password: PASSWORD } })
  expect(sent.code, sent.output).toBe(0)
  const { stdout } = await exec('python3', ['-c', FETCH, String(stack.ports.imap), USER, PASSWORD, subject], { encoding: 'buffer', maxBuffer: 1 << 24 })
  return stdout.toString('latin1')
}

/** `opendkim -t` with the records exactly as GET /dkim/list gave them (TestPublicKeys: no DNS needed). */
async function verify(message: string, keys: DkimKey[]): Promise<string> {
  const file = join(work, `msg-${Date.now()}.eml`)
  writeFileSync(file, message, 'latin1')
  writeFileSync(join(work, 'keys'), keys.map(k => `${k.dns.name} ${k.dns.value}\n`).join(''))
  writeFileSync(join(work, 'verify.conf'), `Mode v\nTestPublicKeys ${join(work, 'keys')}\nSyslog no\n`)
  try {
    const { stdout, stderr } = await exec('opendkim', ['-x', join(work, 'verify.conf'), '-vvv', '-t', file])
    return `${stdout}${stderr}`
  }
  catch (err) {
    const e = err as { stdout?: string, stderr?: string }
    return `${e.stdout}${e.stderr}`
  }
}

/** OpenDKIM's verdict for the signature of one selector, from the Authentication-Results it would add. */
const verdict = (output: string, selector: string) => new RegExp(`dkim=(\\w+)[^;]*header\\.s=${selector}\\b`).exec(output)?.[1] ?? `none: ${output}`

/** Every header of that name, each unfolded onto one line. */
const headerBlocks = (message: string, name: string) => message.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)
  .filter(l => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))

const selectors = (message: string) => [...message.matchAll(/^DKIM-Signature:[\s\S]*?\bs=([a-z0-9-]+);/gm)].map(m => m[1])

describe('DKIM on the real daemons', () => {
  type Status = { last_run: { id: number, ok: boolean, errors: string[] } | null }
  const lastRunId = async () => (await stack.api<Status>('/api/v1/reconcile/status')).body.last_run?.id ?? 0
  // Every DKIM change has the trigger `dkim`: wait for a run newer than the one before the change.
  async function newRun(after: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const run = (await stack.api<Status>('/api/v1/reconcile/status')).body.last_run
      if (run && run.id > after) {
        expect(run.ok, JSON.stringify(run)).toBe(true)
        return
      }
      await new Promise(r => setTimeout(r, 100))
    }
    throw new Error('no reconcile run after the change')
  }
  const list = async () => (await stack.api<{ data: DkimKey[] }>('/api/v1/dkim/list')).body.data

  it('signs what a user submits on 587; the signature verifies and a changed body byte fails it; rotation keeps old mail verifiable', async () => {
    const domain = await stack.api<{ id: number }>('/api/v1/domains', { body: { name: DOMAIN } })
    expect(domain.status).toBe(201)
    const mb = await stack.api('/api/v1/mailboxes', { body: { domain_id: domain.body.id, username: USER, password: PASSWORD } })
    expect(mb.status, JSON.stringify(mb.body)).toBe(201)
    const gen = await stack.api<{ key: DkimKey }>('/api/v1/dkim/generate', { body: { domain_id: domain.body.id, selector: 'mail' } })
    expect(gen.status).toBe(201)
    const run = await waitForRun(stack.api, 'dkim')
    expect(run.ok, JSON.stringify(run)).toBe(true)
    const priv = join(stack.ctx.opendkim.keys_directory, DOMAIN, 'mail.private')
    expect(readFileSync(priv, 'utf8')).toMatch(/BEGIN PRIVATE KEY/)

    const first = await send(`dkim-first-${Date.now()}`)
    expect(selectors(first)).toEqual(['mail'])
    const keys = await list()
    expect(verdict(await verify(first, keys), 'mail')).toBe('pass')
    const tampered = first.replace(/body of dkim-first/, 'Body of dkim-first')
    expect(tampered).not.toBe(first)
    const bad = await verify(tampered, keys)
    expect(verdict(bad, 'mail')).toBe('fail')
    expect(bad).toContain('signature verification failed')

    const next = await stack.api<{ key: DkimKey }>('/api/v1/dkim/generate', { body: { domain_id: domain.body.id, selector: 'mail2' } })
    expect(next.body.key.status).toBe('published')
    const before = await lastRunId()
    expect((await stack.api(`/api/v1/dkim/${next.body.key.id}/activate`, { method: 'POST' })).status).toBe(200)
    await newRun(before)
    const second = await send(`dkim-second-${Date.now()}`)
    expect(selectors(second)).toEqual(['mail2'])
    const rotated = await list()
    expect(verdict(await verify(second, rotated), 'mail2')).toBe('pass')
    expect(verdict(await verify(first, rotated), 'mail')).toBe('pass')
  }, 120_000)

  it('an Ed25519 key next to the RSA one: the second OpenDKIM adds an ed25519-sha256 signature, both verify and a changed body byte fails both', async () => {
    const domainId = (await list()).find(k => k.domain === DOMAIN)!.domain_id
    const before = await lastRunId()
    const gen = await stack.api<{ key: DkimKey }>('/api/v1/dkim/generate', { body: { domain_id: domainId, selector: 'ed', algorithm: 'ed25519' } })
    expect(gen.status, JSON.stringify(gen.body)).toBe(201)
    expect(gen.body.key).toMatchObject({ algorithm: 'ed25519', status: 'active' })
    await newRun(before)
    const conf = readFileSync(join(stack.ctx.opendkim_ed25519.config_directory, 'opendkim.conf'), 'utf8')
    expect(conf).toMatch(/^SignatureAlgorithm\s+ed25519-sha256$/m)
    expect(readFileSync(join(stack.ctx.postfix.config_directory, 'main.cf'), 'utf8'))
      .toContain(`mailpanel_submission_milters = unix:${stack.ctx.opendkim.socket_path}, unix:${stack.ctx.opendkim_ed25519.socket_path}`)

    const message = await send(`dkim-dual-${Date.now()}`)
    const signatures = headerBlocks(message, 'DKIM-Signature')
    expect(signatures.map(h => [/\ba=([\w-]+)/.exec(h)?.[1], /\bs=([\w-]+)/.exec(h)?.[1]]).sort()).toEqual([['ed25519-sha256', 'ed'], ['rsa-sha256', 'mail2']])
    const keys = await list()
    expect(keys.find(k => k.selector === 'ed')!.dns.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/)
    const good = await verify(message, keys)
    expect(verdict(good, 'mail2'), good).toBe('pass')
    expect(verdict(good, 'ed'), good).toBe('pass')

    const tampered = message.replace(/body of dkim-dual/, 'Body of dkim-dual')
    expect(tampered).not.toBe(message)
    const bad = await verify(tampered, keys)
    expect(verdict(bad, 'mail2'), bad).toBe('fail')
    expect(verdict(bad, 'ed'), bad).toBe('fail')
  }, 120_000)
})
