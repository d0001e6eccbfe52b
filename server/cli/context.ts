import { userInfo } from 'node:os'
import { consola } from 'consola'
import { migrations } from '#cli-assets'
import { openDatabase, type Database } from '#server/db/connect'
import { EmbeddedDatabaseBusyError } from '#server/db/embedded-lock'
import { setDatabase } from '#server/db/use'
import { backupDb } from '#server/db/queries/backup'
import { audit } from '#server/services/audit/audit'
import { ConfigError, useConfig, type PanelConfig } from '#server/utils/config'
import { ApiError, scrubSecrets } from '#server/utils/errors'

/** The exit codes, as `--help` documents them. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const

/** A failure the user can act on: printed as one line, exit 1. */
export class CliError extends Error {}

/** Wrong words on the command line: printed with a pointer to the help, exit 2. */
export class UsageError extends Error {}

export const say = (line: string) => process.stderr.write(`${line}\n`)

/** The one line an error becomes (an API error's detail is the sentence a user reads). */
export function errorLine(err: unknown): string {
  if (err instanceof ApiError) return err.detail
  if (err instanceof Error) return scrubSecrets(err.message)
  return String(err)
}

/** The config the server would load (config.env under MAILPANEL_ROOT, the environment on top), or why not. */
export function loadPanelConfig(): PanelConfig {
  try {
    return useConfig()
  }
  catch (err) {
    if (err instanceof ConfigError) throw new CliError(`the configuration is refused: ${err.message}`)
    throw err
  }
}

/**
 * Opens the panel's database the way the server does (DATABASE_URL, or the embedded PGlite), once,
 * without the server's endless retry. The embedded one cannot be opened while the panel runs: the
 * command says so and changes nothing.
 */
export async function openPanelDatabase(config: PanelConfig): Promise<Database> {
  let db: Database
  try {
    db = await openDatabase(config.databaseUrl, config.paths.embeddedDbDir, { attempts: 1 })
  }
  catch (err) {
    if (err instanceof EmbeddedDatabaseBusyError) {
      throw new CliError(`${err.message}: stop the panel first (systemctl stop backendside-mailpanel), then run this again; or use PostgreSQL (DATABASE_URL), which any number of processes can share`)
    }
    throw new CliError(`the database is not reachable: ${errorLine(err)}`)
  }
  setDatabase(db)
  return db
}

/** The migrations this build has and the database lacks; refuses a database newer than the build. */
export async function pendingMigrations(): Promise<string[]> {
  let applied: string[]
  try {
    applied = await backupDb.appliedMigrations()
  }
  catch (err) {
    if ((err as { code?: string }).code === '42P01') applied = [] // no schema_migrations table: a new database
    else throw err
  }
  const known = new Set(migrations.map(m => m.version))
  const unknown = applied.filter(v => !known.has(v))
  if (unknown.length) throw new CliError(`the database has migrations this build does not know (${unknown.join(', ')}); upgrade the panel`)
  const done = new Set(applied)
  return migrations.map(m => m.version).filter(v => !done.has(v))
}

/** Opens the database and checks its schema is this build's (the commands that read or write panel data). */
export async function openMigratedDatabase(config: PanelConfig): Promise<Database> {
  const db = await openPanelDatabase(config)
  try {
    const pending = await pendingMigrations()
    if (pending.length) throw new CliError(`the database schema is behind this build (${pending.length} migration(s) pending, from ${pending[0]}): run \`backendside-mailpanel migrate\` first`)
  }
  catch (err) {
    await db.close()
    throw err
  }
  return db
}

/** Who ran a command, for the audit log: `cli:<unix user>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`
  }
  catch {
    return `cli:uid ${process.getuid?.() ?? '?'}`
  }
}

/**
 * Writes a command's action to the audit log as the API writes its mutations: `status` is what the
 * same call over the API would have answered (201 created, 400 refused), ip `local` (no request).
 */
export async function auditCli(action: string, target: string, status: number): Promise<void> {
  await audit.append({ time: new Date().toISOString(), actor: cliActor(), action: `CLI ${action}`, target, ip: 'local', status })
}

/** One command: its words, its help, and what it does (returns the exit code). */
export interface CliCommand {
  /** The words that select it: `migrate`, `token create`. */
  name: string
  /** Its arguments and options as the usage line shows them. */
  synopsis: string
  /** One line for the command list. */
  summary: string
  /** The rest of `help NAME`. */
  details: string
  options?: Record<string, { type: 'boolean' | 'string', short?: string }>
  /** Required positional arguments, in order (FILE, NAME). */
  args?: string[]
  run: (input: { values: Record<string, string | boolean | undefined>, args: string[] }) => Promise<number>
}

/**
 * The server's log lines (consola) go to stderr, so stdout carries only a command's result (a token,
 * an archive); only warnings and errors unless CONSOLA_LEVEL asks for more.
 */
export function quietLogs(): void {
  consola.options.stdout = process.stderr
  consola.level = process.env.CONSOLA_LEVEL ? Number(process.env.CONSOLA_LEVEL) : 1
}
