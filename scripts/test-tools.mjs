// The operating-system commands the unit and API suites run, and the Debian package each comes
// from. `npm test` (scripts/test.mjs) installs the missing ones before anything else; the tests
// that run them call requireTools() first, so a missing one is a failure that says what to do,
// never a skip. Postfix and Dovecot are not here: tests of the real daemons are the system suite's.
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute } from 'node:path'
import { which } from '../lib/which.mjs'

/** @typedef {{ command: string, pkg: string, why: string }} Tool */

/** @type {Tool[]} */
export const TEST_TOOLS = [
  { command: 'openssl', pkg: 'openssl', why: 'test certificates, and the panel\'s day-0 self-signed certificate' },
  { command: 'certbot', pkg: 'certbot', why: 'issuing and renewing certificates (tests/api/certificates.test.ts)' },
  { command: 'pebble', pkg: 'pebble', why: 'the local ACME CA certbot is driven against' },
  { command: 'pebble-challtestsrv', pkg: 'pebble', why: 'the DNS pebble validates through' },
  { command: 'journalctl', pkg: 'systemd', why: 'the stats collector and the logs read the journal (MAILLOG_SOURCE=journald)' },
  // Not on PATH: a journal file is written from Journal Export Format without a running journald.
  { command: '/lib/systemd/systemd-journal-remote', pkg: 'systemd-journal-remote', why: 'writes the journal files tests/api/mailstats-journal.test.ts reads' },
]

/**
 * The first executable `name` on the PATH the tests and the servers they start use (or `name`
 * itself when it is an absolute path to an executable).
 * @param {string} name
 * @param {string} [path]
 */
export function findCommand(name, path) {
  if (!isAbsolute(name)) return which(name, path)
  try {
    accessSync(name, constants.X_OK)
    return name
  }
  catch {
    return undefined
  }
}

/** @param {Tool[]} tools */
export function missingTools(tools = TEST_TOOLS) {
  return tools.filter(tool => !findCommand(tool.command))
}

/** @param {Tool[]} tools */
const packagesOf = tools => [...new Set(tools.map(tool => tool.pkg))]

/**
 * For a test: throws (it never skips) unless every named command is on PATH, saying which package
 * brings it and that `npm test` installs it.
 * @param {string[]} commands
 */
export function requireTools(commands) {
  const wanted = commands.map((command) => {
    const tool = TEST_TOOLS.find(t => t.command === command)
    if (!tool) throw new Error(`${command} is not in TEST_TOOLS (scripts/test-tools.mjs): add it there so npm test installs it`)
    return tool
  })
  const missing = missingTools(wanted)
  if (missing.length) {
    const pkgs = packagesOf(missing)
    const them = missing.length > 1 ? 'them' : 'it'
    throw new Error(`${missing.map(t => t.command).join(', ')} not on PATH (Debian package${pkgs.length > 1 ? 's' : ''} ${pkgs.join(' ')}): `
      + `\`npm test\` installs ${them} when run as root, or install ${them} yourself: apt-get install --no-install-recommends ${pkgs.join(' ')}`)
  }
}

/**
 * Installs the Debian packages of the missing tools with apt-get (as root, only those missing);
 * throws an Error that says what to run when it cannot (not root, no apt-get, install failed).
 * @param {{ tools?: Tool[], log?: (line: string) => void }} [opts]
 */
export function ensureTools({ tools = TEST_TOOLS, log = () => {} } = {}) {
  const missing = missingTools(tools)
  if (!missing.length) {
    log(`Test tools present: ${tools.map(t => t.command).join(', ')}`)
    return
  }
  const pkgs = packagesOf(missing)
  const list = missing.map(t => `  ${t.command} (package ${t.pkg}): ${t.why}`).join('\n')
  const manual = `apt-get install --no-install-recommends ${pkgs.join(' ')}`
  if (process.getuid?.() !== 0) {
    throw new Error(`The tests need commands that are not installed:\n${list}\nRun npm test as root to have it install them, or install them first: ${manual}`)
  }
  const apt = findCommand('apt-get', `${process.env.PATH ?? ''}${delimiter}/usr/bin${delimiter}/bin`)
  if (!apt) throw new Error(`The tests need commands that are not installed:\n${list}\nThere is no apt-get here: install the equivalent packages with this system's package manager.`)
  log(`Installing the test tools' Debian packages (${pkgs.join(', ')}); missing:\n${list}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...pkgs]]) {
    const res = spawnSync(apt, args, { env, stdio: ['ignore', 'ignore', 'inherit'] })
    if (res.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${res.status ?? res.signal}); install them yourself: ${manual}`)
  }
  const still = missingTools(tools)
  if (still.length) throw new Error(`After installing ${pkgs.join(' ')}, still not on PATH: ${still.map(t => t.command).join(', ')}`)
  log(`Installed ${pkgs.join(', ')}`)
}
