import { describe, expect, it } from 'vitest'
import { CommandMissingError, CommandTimeoutError, hasCommand, runCommand } from '#server/utils/command'

describe('runCommand', () => {
  it('passes argv as is, with no shell: metacharacters are plain arguments', async () => {
    const res = await runCommand(['printf', '%s|', '$(id)', '; rm -rf /', '`x`'])
    expect(res).toEqual({ code: 0, stdout: '$(id)|; rm -rf /|`x`|', stderr: '' })
  })

  it('a non-zero exit is a result, not an error', async () => {
    const res = await runCommand(['sh', '-c', 'echo oops >&2; exit 3'])
    expect(res).toEqual({ code: 3, stdout: '', stderr: 'oops\n' })
  })

  it('a missing program is a CommandMissingError naming it', async () => {
    await expect(runCommand(['no-such-program-mailpanel'])).rejects.toBeInstanceOf(CommandMissingError)
    await expect(runCommand(['no-such-program-mailpanel'])).rejects.toMatchObject({ binary: 'no-such-program-mailpanel' })
    expect(hasCommand('no-such-program-mailpanel')).toBe(false)
    expect(hasCommand('sh')).toBe(true)
  })

  it('a program that hangs is killed at the timeout', async () => {
    const started = Date.now()
    await expect(runCommand(['sleep', '30'], { timeoutMs: 200 })).rejects.toBeInstanceOf(CommandTimeoutError)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('output beyond the cap is refused rather than buffered without bound', async () => {
    await expect(runCommand(['head', '-c', '100000', '/dev/zero'], { maxBytes: 1000 })).rejects.toThrow(/maxBuffer/)
  })
})
