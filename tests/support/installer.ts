import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import postgres from 'postgres'
import { envFile } from '#lib/env-file.mjs'
import { LEGACY_API_KEY } from './server'

export interface Installed {
  /** The panel role's own connection (password included), as setup wrote it into config.env. */
  databaseUrl: string
  adminPassword: string
  output: string
  /** Drops the database and role setup created. */
  drop: () => Promise<void>
}

function run(args: string[]): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/setup.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.once('close', code => resolve({ code, output: stripVTControlCharacters(output) }))
  })
}

/**
 * Installs the panel into `root` with the project's own installer (packages, vmail user, mail
 * store, a database role and database of its own over the superuser DATABASE_URL, config.env,
 * the day-0 certificate), then adds the legacy API key the test client signs in with.
 */
export async function installWithSetup(root: string, hostname: string): Promise<Installed> {
  const adminUrl = process.env.DATABASE_URL
  if (!adminUrl) throw new Error('DATABASE_URL (a superuser connection) is required to install the panel\'s own role and database')
  const name = `mailpanel_e2e_${randomBytes(5).toString('hex')}`
  const drop = async () => {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await sql.unsafe(`DROP ROLE IF EXISTS "${name}"`)
    await sql.end()
  }
  const { code, output } = await run(['--root', root, '--pg-admin-url', adminUrl, '--db-name', name, '--db-user', name, '--hostname', hostname])
  if (code !== 0) {
    await drop()
    throw new Error(`setup failed (exit ${code}):\n${output}`)
  }
  const configFile = join(root, 'etc/backendside-mailpanel/config.env')
  appendFileSync(configFile, `API_KEY='${LEGACY_API_KEY}'\n`)
  const config = envFile.parse(readFileSync(configFile, 'utf8'))
  const adminPassword = /Admin sign-in: user \S+, password (\S+)/.exec(output)?.[1]
  if (!config.DATABASE_URL || !adminPassword) throw new Error(`setup did not write DATABASE_URL or print the admin password:\n${output}`)
  return { databaseUrl: config.DATABASE_URL, adminPassword, output, drop }
}
