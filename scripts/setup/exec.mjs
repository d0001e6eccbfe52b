// Every external command runs from an argument array (no shell), its output collected for the report.
import { spawn } from 'node:child_process'

const NOT_FOUND = 127

/**
 * @param {string[]} argv
 * @param {{ input?: string, cwd?: string }} [opts]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export function run(argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('error', (err) => {
      const missing = /** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT'
      resolve({ code: NOT_FOUND, stdout, stderr: missing ? `${argv[0]}: command not found` : err.message })
    })
    child.on('close', (code, signal) => resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}killed by ${signal}` : stderr }))
    child.stdin.on('error', () => { /* the command did not read its input; its exit code tells */ })
    child.stdin.end(opts.input ?? '')
  })
}

/** An argv as one readable line (for the plan and failure reports; never run through a shell). */
export function showCommand(argv) {
  return argv.map(arg => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, '\'\\\'\'')}'`)).join(' ')
}
