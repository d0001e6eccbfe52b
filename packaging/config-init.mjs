// The package's part of config.env, run by the DEB postinst and the RPM %post on the bundled Node:
// moves a legacy .env (builds before 056) to config.env in place, then adds a random JWT_SECRET when the
// file has none, through the installer's own step (scripts/setup/steps/config-env.mjs), so an upgrade
// never overwrites a key and `setup` later fills in the rest. Prints one line per thing it did.
import { chmodSync, existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { writeConfigEnv } from '../scripts/setup/steps/config-env.mjs'

const CONFIG_MODE = 0o600

/** @returns {string[]} what was done, for the maintainer script's output */
async function initConfig(configDir) {
  const file = join(configDir, 'config.env')
  const legacy = join(configDir, '.env')
  const done = []
  if (existsSync(legacy) && !existsSync(file)) {
    renameSync(legacy, file)
    done.push(`moved ${legacy} to ${file}`)
  }
  if (await writeConfigEnv({ file, missing: ['JWT_SECRET'] }, {})) done.push(`wrote a random JWT_SECRET to ${file}`)
  if (existsSync(file)) chmodSync(file, CONFIG_MODE)
  return done
}

const [configDir = '/etc/backendside-mailpanel'] = process.argv.slice(2)
try {
  for (const line of await initConfig(configDir)) process.stdout.write(`backendside-mailpanel: ${line}\n`)
}
catch (err) {
  process.stderr.write(`backendside-mailpanel: ${configDir}/config.env: ${err.message}\n`)
  process.exitCode = 1
}
