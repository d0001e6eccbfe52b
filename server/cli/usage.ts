import { release } from '#cli-assets'
import type { CliCommand } from './context'

/** serve and setup run from bin/backendside-mailpanel itself (the server, the installer); listed here for help. */
export const LAUNCHED = [
  { name: 'serve', synopsis: 'serve', summary: 'run the panel (the default): the API under /api/v1 and the dashboard', details: 'Runs the built server in the foreground on HOST:PORT of config.env; SIGTERM stops it gracefully.\nIt applies pending migrations and reconciles the mail configuration at start.' },
  { name: 'setup', synopsis: 'setup [options]', summary: 'install and prepare Postfix, Dovecot and PostgreSQL', details: 'The installer; `backendside-mailpanel setup --help` lists its options.' },
] as const

const PROGRAM = 'backendside-mailpanel'

export const versionLine = () => `${PROGRAM} ${release.version} (build ${release.build})`

/** The whole --help: every command, the environment, the exit codes. */
export function usage(commands: readonly Pick<CliCommand, 'synopsis' | 'summary'>[]): string {
  const width = Math.max(...commands.map(c => c.synopsis.length)) + 2
  return `Usage: ${PROGRAM} [command] [arguments]

Commands:
${commands.map(c => `  ${c.synopsis.padEnd(width)}${c.summary}`).join('\n')}
  ${'help [COMMAND]'.padEnd(width)}this text, or one command's
  ${'--version'.padEnd(width)}the version and build

The panel and every command read MAILPANEL_ROOT (default /) and etc/backendside-mailpanel/config.env
below it, with the environment on top, as the server does. Without DATABASE_URL the database is the
embedded PGlite, which only one process may open: stop the panel before migrate, token create,
backup, restore or reconcile (status asks the running panel instead).

Exit codes: 0 success, 1 failure (the reason is one line on stderr; status: the panel is down),
2 usage error (an unknown command, a missing or extra argument).
`
}

export function commandHelp(c: Pick<CliCommand, 'synopsis' | 'summary' | 'details'>): string {
  return `Usage: ${PROGRAM} ${c.synopsis}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\n${c.details}\n`
}
