// Build-time commands: argv only, output passed through, a failure stops the build with its argv.
import { execFileSync } from 'node:child_process'

const TIMEOUT_MS = 10 * 60_000

/** @returns {string} stdout (when `capture`) */
export function run(cmd, args, { cwd, capture = false, env } = {}) {
  try {
    const out = execFileSync(cmd, args, {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      timeout: TIMEOUT_MS,
      stdio: capture ? ['ignore', 'pipe', 'inherit'] : ['ignore', 'inherit', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    })
    return capture ? out.toString() : ''
  }
  catch (err) {
    throw new Error(`${[cmd, ...args].join(' ')} failed: ${err.status === null ? err.message : `exit ${err.status}`}`)
  }
}
