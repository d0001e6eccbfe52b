#!/usr/bin/env node
// A stand-in for the BackendSide WebMail companion (a separate product), installed by the tests as
// <root>/usr/bin/backendside-webmail (a symlink, so Node resolves `yaml` from this checkout). It does
// what the panel relies on: `--version`; `--config FILE` reads the YAML file, listens on 127.0.0.1 at
// its listen_port and answers GET / with the settings it loaded (the secret only as the fingerprint
// the panel shows; the names of its environment variables), writes one log line per request to stdout, and exits 0 on SIGTERM. A bad file or a
// taken port: a line on stderr and exit 1, as a real daemon would.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { parse } from 'yaml'

const VERSION = 'backendside-webmail 0.0.0-standin'
const log = line => process.stdout.write(`${new Date().toISOString()} backendside-webmail[${process.pid}]: ${line}\n`)
const fail = (why) => {
  process.stderr.write(`${new Date().toISOString()} backendside-webmail[${process.pid}]: error: ${why}\n`)
  process.exit(1)
}

const args = process.argv.slice(2)
if (args[0] === '--version') {
  process.stdout.write(`${VERSION}\n`)
  process.exit(0)
}
const at = args.indexOf('--config')
if (at < 0 || !args[at + 1]) fail('usage: backendside-webmail --config FILE')

let config
try {
  config = parse(readFileSync(args[at + 1], 'utf8'))
}
catch (err) {
  fail(`cannot read ${args[at + 1]}: ${err.message}`)
}
const { session_secret: secret, ...shown } = config ?? {}
if (typeof secret !== 'string' || secret.length < 32) fail('session_secret is missing or too short')
const loaded = { ...shown, session_secret_fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 12), pid: process.pid, env_keys: Object.keys(process.env).sort() }

const server = createServer((req, res) => {
  const body = JSON.stringify(loaded)
  res.writeHead(200, { 'content-type': 'application/json', 'connection': 'close' })
  res.end(body)
  log(`${req.method} ${req.url} 200 from ${req.socket.remoteAddress}`)
})
server.once('error', err => fail(`cannot listen on 127.0.0.1:${config.listen_port}: ${err.code ?? err.message}`))
server.listen(config.listen_port, '127.0.0.1', () => log(`listening on 127.0.0.1:${config.listen_port} (cookie_secure=${config.cookie_secure}, ${(config.mail_servers ?? []).length} mail servers)`))

process.once('SIGTERM', () => {
  log('SIGTERM: stopping')
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
