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

  describe('with onStdout', () => {
    it('hands stdout over in chunks and keeps none of it', async () => {
      let bytes = 0
      const res = await runCommand(['head', '-c', '3000000', '/dev/zero'], { maxBytes: 1000, onStdout: (chunk) => {
        bytes += chunk.length
      } })
      expect(res).toEqual({ code: 0, stdout: '', stderr: '' })
      expect(bytes).toBe(3_000_000)
    })

    it('keeps the exit code, stderr, the missing program and the timeout as runCommand does', async () => {
      const onStdout = () => {}
      await expect(runCommand(['sh', '-c', 'echo out; echo oops >&2; exit 3'], { onStdout })).resolves.toEqual({ code: 3, stdout: '', stderr: 'oops\n' })
      await expect(runCommand(['no-such-program-mailpanel'], { onStdout })).rejects.toMatchObject({ binary: 'no-such-program-mailpanel' })
      await expect(runCommand(['sleep', '30'], { timeoutMs: 200, onStdout })).rejects.toBeInstanceOf(CommandTimeoutError)
    })

    it('a callback that throws stops the program and the call rejects with its error', async () => {
      const started = Date.now()
      await expect(runCommand(['sh', '-c', 'yes | cat'], { onStdout: () => {
        throw new Error('enough')
      } })).rejects.toThrow('enough')
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  })
})
