import { parseArgs } from 'node:util'
import { CliError, errorLine, EXIT, quietLogs, UsageError, type CliCommand } from './context'
import { commandHelp, LAUNCHED, usage, versionLine } from './usage'
import { backupCommand } from './commands/backup'
import { migrateCommand } from './commands/migrate'
import { reconcileCommand } from './commands/reconcile'
import { restoreCommand } from './commands/restore'
import { statusCommand } from './commands/status'
import { tokenCreateCommand } from './commands/token-create'

/**
 * `backendside-mailpanel <command>` for everything but serve and setup, which the bin script starts
 * itself. Each command calls the domain modules the API handlers call (no HTTP round trip); see
 * README "Command line". Bundled into .output/cli/index.mjs by bundle.ts.
 */

const COMMANDS: CliCommand[] = [reconcileCommand, tokenCreateCommand, migrateCommand, backupCommand, restoreCommand, statusCommand]
const LISTED = [...LAUNCHED, ...COMMANDS].sort((a, b) => a.name.localeCompare(b.name))
const PROGRAM = 'backendside-mailpanel'

/** The command the first words name (`token create` takes two), and the words after it. */
function lookup(words: string[]): { command?: (typeof LISTED)[number], rest: string[] } {
  for (const command of LISTED) {
    const name = command.name.split(' ')
    if (name.every((w, i) => words[i] === w)) return { command, rest: words.slice(name.length) }
  }
  return { rest: words }
}

function unknown(words: string[]): UsageError {
  const group = LISTED.filter(c => c.name.startsWith(`${words[0]} `))
  if (group.length) return new UsageError(`${words[0]} needs a subcommand: ${group.map(c => c.synopsis).join(', ')}`)
  return new UsageError(`unknown command ${words[0]}`)
}

function help(words: string[]): number {
  if (!words.length) {
    process.stdout.write(usage(LISTED))
    return EXIT.OK
  }
  const { command } = lookup(words)
  const group = LISTED.filter(c => c.name.startsWith(`${words[0]} `))
  if (!command && !group.length) throw new UsageError(`no such command: ${words.join(' ')}`)
  process.stdout.write((command ? [command] : group).map(commandHelp).join('\n'))
  return EXIT.OK
}

async function dispatch(argv: string[]): Promise<number> {
  const [first] = argv
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return help(argv.slice(1))
  if (first === '--version' || first === '-V' || first === 'version') {
    process.stdout.write(`${versionLine()}\n`)
    return EXIT.OK
  }
  const { command, rest } = lookup(argv)
  if (!command) throw unknown(argv)
  if (!('run' in command)) throw new UsageError(`${command.name} takes no arguments`)
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  }
  catch (err) {
    throw new UsageError(`${command.name}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`)
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(command))
    return EXIT.OK
  }
  const wanted = command.args ?? []
  if (parsed.positionals.length < wanted.length) throw new UsageError(`${command.name}: missing ${wanted.slice(parsed.positionals.length).join(' ')} (usage: ${command.synopsis})`)
  if (parsed.positionals.length > wanted.length) throw new UsageError(`${command.name}: unexpected argument ${parsed.positionals[wanted.length]} (usage: ${command.synopsis})`)
  return command.run({ values: parsed.values, args: parsed.positionals })
}

/** Runs one command line and returns the exit code; every failure is one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  quietLogs()
  try {
    return await dispatch(argv)
  }
  catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${PROGRAM}: ${err.message} (see ${PROGRAM} --help)\n`)
      return EXIT.USAGE
    }
    process.stderr.write(`${PROGRAM}: ${err instanceof CliError ? err.message : `failed: ${errorLine(err)}`}\n`)
    return EXIT.FAILURE
  }
}
