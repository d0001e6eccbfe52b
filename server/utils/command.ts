import { execFile, spawn } from 'node:child_process'
import { which } from '#lib/which.mjs'

// The one way the panel runs another program for an API request (postqueue, postsuper, doveadm,
// journalctl …): argv only (never a shell), a timeout, a cap on what it may print.

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

export interface CommandOptions {
  /** Killed (SIGKILL) after this long; the call then rejects with CommandTimeoutError. Default 10 s. */
  timeoutMs?: number
  /** Output beyond this many bytes (stdout + stderr each) kills it too. Default 16 MiB. */
  maxBytes?: number
  env?: NodeJS.ProcessEnv
  /**
   * Hands stdout over chunk by chunk as it arrives instead of keeping it (`stdout` is then ''): for
   * listings that may be larger than is sensible to hold (`postqueue -j` of a big queue). `maxBytes`
   * then caps stderr only. A callback that throws kills the program, and the call rejects with that error.
   */
  onStdout?: (chunk: Buffer) => void
}

/** The program is not on PATH: callers turn this into 409 CAPABILITY_MISSING with the package to install. */
export class CommandMissingError extends Error {
  constructor(readonly binary: string) {
    super(`${binary} is not installed (not on PATH)`)
  }
}

export class CommandTimeoutError extends Error {
  constructor(readonly argv: readonly string[], readonly timeoutMs: number) {
    super(`${argv[0]} did not finish within ${timeoutMs} ms`)
  }
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024

/** Whether `binary` is on PATH (the capability gates use the same lookup). */
export const hasCommand = (binary: string): boolean => which(binary) !== undefined

/** Runs argv; resolves with the exit code (non-zero is not an error here), rejects only if it could not run or finish. */
export function runCommand(argv: readonly [string, ...string[]], opts: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (opts.onStdout) return runStreaming(argv, timeoutMs, opts.maxBytes ?? DEFAULT_MAX_BYTES, opts.env, opts.onStdout)
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: opts.maxBytes ?? DEFAULT_MAX_BYTES, env: opts.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr })
      const e = err as NodeJS.ErrnoException & { code?: number | string, killed?: boolean, signal?: string }
      if (e.code === 'ENOENT') return reject(new CommandMissingError(file))
      if (e.killed && e.signal === 'SIGKILL' && e.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new CommandTimeoutError(argv, timeoutMs))
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr })
      reject(err)
    })
  })
}

/** runCommand with `onStdout`: the same contract (argv only, timeout, missing binary), stdout streamed. */
function runStreaming(argv: readonly [string, ...string[]], timeoutMs: number, maxBytes: number, env: NodeJS.ProcessEnv | undefined, onStdout: (chunk: Buffer) => void): Promise<CommandResult> {
  const [file, ...args] = argv
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let failure: unknown
    let timedOut = false
    // Killed, and its pipes closed too: a grandchild still holding them must not keep 'close' away.
    const stop = () => {
      child.kill('SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
    }
    const fail = (err: unknown) => {
      failure ??= err
      stop()
    }
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return
      try {
        onStdout(chunk)
      }
      catch (err) {
        fail(err)
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text: string) => {
      stderr += text
      if (Buffer.byteLength(stderr) > maxBytes) fail(new RangeError(`${file}: stderr maxBuffer length exceeded`))
    })
    // 'error' (could not start, or could not be killed) and 'close' may both come: the first decides.
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    child.once('error', (err: NodeJS.ErrnoException) => settle(() => reject(err.code === 'ENOENT' ? new CommandMissingError(file) : err)))
    child.once('close', (code: number | null) => settle(() => {
      if (failure !== undefined) reject(failure)
      else if (timedOut) reject(new CommandTimeoutError(argv, timeoutMs))
      else resolve({ code: code ?? 1, stdout: '', stderr })
    }))
  })
}
