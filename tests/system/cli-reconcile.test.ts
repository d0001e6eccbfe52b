import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'

// `backendside-mailpanel reconcile [--dry-run]` beside a running panel whose reconciler wrote a real
// Postfix + Dovecot configuration (the daemons' own checkers validate every plan). PostgreSQL lets
// the command and the panel share the database; the advisory lock keeps their runs apart.

const HAND_EDIT = '# edited by hand, not by the panel\n'

/** Every file under `dir` with its content, mode and mtime (the audit log aside: commands append to it). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!entry.isFile() || entry.name === 'audit.log') continue
    const st = statSync(path)
    out[path] = `${st.mode.toString(8)} ${st.mtimeMs} ${readFileSync(path, 'base64')}`
  }
  return out
}

describe('backendside-mailpanel reconcile on a managed mail stack', () => {
  let stack: ManagedStack
  let mainCf: string
  // The environment the panel runs with (startManagedStack), so the command renders what it renders.
  const cli = (...args: string[]) => runCli(args, { root: stack.server.root, mailDaemons: true, env: { HTTPS: 'off', POLICYD_LISTEN: `127.0.0.1:${stack.ports.policyd}` } })

  beforeAll(async () => {
    stack = await startManagedStack({ startDaemons: false })
    mainCf = join(stack.ctx.postfix.config_directory, 'main.cf')
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('--dry-run on an up-to-date stack: nothing to change, and no file is touched', async () => {
    const before = snapshot(join(stack.server.root, 'etc'))
    const run = await cli('reconcile', '--dry-run')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Plan: nothing to change\n$/m)
    expect(snapshot(join(stack.server.root, 'etc'))).toEqual(before)
  })

  it('--dry-run after a hand edit shows the diff that would undo it, and still writes no file', async () => {
    appendFileSync(mainCf, HAND_EDIT)
    const before = snapshot(join(stack.server.root, 'etc'))
    const run = await cli('reconcile', '--dry-run')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain(`would-update ${mainCf}`)
    expect(run.stdout).toContain(`-${HAND_EDIT}`)
    expect(run.stdout).toMatch(/^Plan: 1 file\(s\) would change\n$/m)
    expect(snapshot(join(stack.server.root, 'etc'))).toEqual(before)
    expect(readFileSync(mainCf, 'utf8')).toContain(HAND_EDIT)
  })

  it('reconcile puts the file back and records the run the panel reports', async () => {
    const run = await cli('reconcile')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain(`updated      ${mainCf}`)
    expect(run.stdout).toMatch(/^Reconcile: 1 file\(s\) changed\n$/m)
    expect(readFileSync(mainCf, 'utf8')).not.toContain(HAND_EDIT)
    const { body } = await stack.api<{ last_run: { trigger: string, ok: boolean } }>('/api/v1/reconcile/status')
    expect(body.last_run).toMatchObject({ trigger: 'cli', ok: true })
  })
})
