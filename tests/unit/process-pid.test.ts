import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { otherCommandLine, pidFrom } from '#server/mailstack/process'

// How the reconciler tells a helper started with the package's own file from one running the panel's.
const dir = mkdtempSync(join(tmpdir(), 'pid-'))
// A real process whose command line names a config file, like `opendkim -x /etc/opendkim/opendkim.conf`.
writeFileSync(join(dir, 'panel.conf'), '')
const child = spawn('tail', ['-f', join(dir, 'panel.conf')], { stdio: 'ignore' })
// 'spawn' fires once tail has been exec'd: its /proc cmdline is tail's from then on.
const spawned = new Promise(resolve => child.once('spawn', resolve))
const pidFile = join(dir, 'daemon.pid')
writeFileSync(pidFile, `${child.pid}\n`)
beforeAll(() => spawned)
afterAll(() => {
  child.kill()
  rmSync(dir, { recursive: true, force: true })
})

describe('otherCommandLine', () => {
  it('is undefined while the running process names the panel\'s file', () => {
    expect(pidFrom(pidFile)).toBe(child.pid)
    expect(otherCommandLine(pidFile, join(dir, 'panel.conf'))).toBeUndefined()
  })

  it('is the running command line when it names another file', () => {
    expect(otherCommandLine(pidFile, '/etc/opendkim/opendkim.conf')).toBe(`tail -f ${join(dir, 'panel.conf')}`)
  })

  it('is undefined when nothing runs: no pid file, a stale or a garbage one', () => {
    expect(otherCommandLine(join(dir, 'missing.pid'), '/x.conf')).toBeUndefined()
    writeFileSync(join(dir, 'garbage.pid'), 'not a pid\n')
    expect(otherCommandLine(join(dir, 'garbage.pid'), '/x.conf')).toBeUndefined()
    writeFileSync(join(dir, 'stale.pid'), '2147483646\n')
    expect(otherCommandLine(join(dir, 'stale.pid'), '/x.conf')).toBeUndefined()
  })
})
