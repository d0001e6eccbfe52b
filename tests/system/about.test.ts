import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findCommand } from '../../scripts/test-tools.mjs'
import { MAIL_HOSTNAME, startManagedStack, type ManagedStack } from '../support/managed-stack'

interface About { postfix: string, dovecot: string, mail_hostname: string }

/** The installed binary, found on the PATH the panel gets here (root's, sbin included). */
function installed(name: string): string {
  const path = findCommand(name)
  if (!path) throw new Error(`${name} is not on PATH: the system suite runs after the project's installer (see .ci/run)`)
  return path
}

describe('GET /api/v1/about on a machine with Postfix and Dovecot installed', () => {
  let stack: ManagedStack

  beforeAll(async () => {
    // The daemons need not run: the versions come from the binaries.
    stack = await startManagedStack({ startDaemons: false })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('shows the versions the real postconf and dovecot report', async () => {
    const postfix = execFileSync(installed('postconf'), ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim()
    const dovecot = execFileSync(installed('dovecot'), ['--version'], { encoding: 'utf8' }).trim().split(/\s+/)[0]
    expect(postfix).toMatch(/^\d+\.\d+(\.\d+)?$/)
    expect(dovecot).toMatch(/^\d+\.\d+(\.\d+)+$/)
    const res = await stack.api<About>('/api/v1/about')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ postfix, dovecot, mail_hostname: MAIL_HOSTNAME })
  })
})
