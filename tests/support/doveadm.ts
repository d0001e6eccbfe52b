import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Dovecot's own verifier as the judge of whether a stored hash lets `password` log in. */
export async function doveadmVerifies(stored: string, password: string): Promise<boolean> {
  try {
    const { stdout } = await run('doveadm', ['pw', '-t', stored, '-p', password])
    return stdout.includes('(verified)')
  }
  catch {
    return false
  }
}
