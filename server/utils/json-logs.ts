import { formatWithOptions } from 'node:util'
import { consola } from 'consola'

/**
 * LOG_FORMAT=json: every line the process prints is one JSON object `{"time","level","msg"}` (plus
 * `tag` when consola has one), for journald/Loki/ELK. Three doors lead to the terminal and all three
 * are covered: consola (our code: a reporter), console.* (Nitro's "Listening on …", its request-error
 * and shutdown messages, libraries: one record per call, so a stack stays in one record), and direct
 * writes to process.stdout/stderr (anything else: each line wrapped, a line that is already a JSON
 * object passed through). Only a crash of the runtime itself (a native abort) can bypass them.
 */

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'log' | 'debug' | 'trace' | string
type WriteCallback = (err?: Error | null) => void

const CONSOLE_LEVELS = { log: 'log', info: 'info', debug: 'debug', trace: 'trace', warn: 'warn', error: 'error' } as const

let installed = false

const format = (args: unknown[]) => formatWithOptions({ colors: false, depth: 4 }, ...args)

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{') || !line.endsWith('}')) return false
  try {
    return typeof JSON.parse(line) === 'object'
  }
  catch {
    return false
  }
}

export const jsonLogs = {
  install(): void {
    if (installed) return
    installed = true
    const stdout = process.stdout.write.bind(process.stdout) as (text: string) => boolean
    const stderr = process.stderr.write.bind(process.stderr) as (text: string) => boolean
    const record = (level: Level, msg: string, tag?: string) =>
      `${JSON.stringify({ time: new Date().toISOString(), level, ...(tag && { tag }), msg })}\n`

    consola.setReporters([{ log: entry => stdout(record(entry.type, format(entry.args), entry.tag || undefined)) }])

    for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
      const write = level === 'warn' || level === 'error' ? stderr : stdout
      // eslint-disable-next-line no-console -- replacing console.* (not calling it) is the point here
      console[method as keyof typeof CONSOLE_LEVELS] = (...args: unknown[]) => {
        write(record(level, format(args)))
      }
    }

    // Whatever still writes to the streams directly: whole lines wrapped (a partial one waits for its end).
    const wrap = (stream: NodeJS.WriteStream, write: (text: string) => boolean, level: Level) => {
      let pending = ''
      const flush = (text: string) => {
        for (const line of text.split('\n')) {
          if (!line.trim()) continue
          write(isJsonObject(line) ? `${line}\n` : record(level, line))
        }
      }
      stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback) => {
        const text = pending + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'))
        const end = text.lastIndexOf('\n')
        pending = end === -1 ? text : text.slice(end + 1)
        if (end !== -1) flush(text.slice(0, end))
        const done = typeof encoding === 'function' ? encoding : callback
        if (done) process.nextTick(done)
        return true
      }) as typeof stream.write
      process.once('exit', () => {
        if (pending) flush(pending)
      })
    }
    wrap(process.stdout, stdout, 'info')
    wrap(process.stderr, stderr, 'error')
  },
}
