#!/usr/bin/env node
// `backendside-mailpanel setup` / `npm run setup`: installs and prepares the mail stack on Debian,
// Ubuntu and RHEL-family systems. Wiring only: os-release → probe → plan (pure) → run; the logic is
// in scripts/setup/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chalk, minimist } from 'zx'
import { osRelease } from '../lib/os-release.mjs'
import { layout, planSetup, supportedFamily } from './setup/plan.mjs'
import { probeSystem } from './setup/probe.mjs'
import { runPlan, StepFailed } from './setup/runner.mjs'
import { SetupError, validate } from './setup/validate.mjs'

const EXIT_USAGE = 2
const PRESEED_FILE = join(dirname(fileURLToPath(import.meta.url)), 'setup/postfix.debconf')

export const USAGE = `Usage: backendside-mailpanel setup [options]

Installs Postfix, Dovecot and PostgreSQL (apt-get on Debian/Ubuntu, dnf on RHEL, AlmaLinux, Rocky,
CentOS, Fedora), creates the vmail user and mail store, the panel's database role and database,
config.env and a self-signed certificate. Safe to run again: done steps are left alone.

Options:
  --root DIR            install under DIR instead of / (default: $MAILPANEL_ROOT or /)
  --hostname NAME       the mail server's DNS name (default: hostname -f)
  --db-name NAME        database to create (default: mailpanel)
  --db-user NAME        role to create (default: mailpanel)
  --pg-admin-url URL    create them over this superuser connection instead of runuser -u postgres -- psql
  --skip-packages       do not install packages (you installed them yourself)
  --os-release FILE     read the OS from FILE (default: /etc/os-release)
  --dry-run             print what would be done and change nothing
  --help                this text
`

const STRING_OPTIONS = ['root', 'hostname', 'db-name', 'db-user', 'pg-admin-url', 'os-release']
const BOOLEAN_OPTIONS = ['skip-packages', 'dry-run', 'help']

function parseArgs(args) {
  const unknown = []
  const opts = minimist(args, {
    string: STRING_OPTIONS,
    boolean: BOOLEAN_OPTIONS,
    unknown: (arg) => {
      unknown.push(arg)
      return false
    },
  })
  if (unknown.length) throw new SetupError(`unknown argument ${unknown.join(' ')} (see --help)`)
  for (const name of STRING_OPTIONS) {
    if (name in opts && (typeof opts[name] !== 'string' || !opts[name])) throw new SetupError(`--${name} needs a value`)
  }
  return {
    help: opts.help,
    dryRun: opts['dry-run'],
    osReleaseFile: opts['os-release'] ?? '/etc/os-release',
    options: {
      root: resolve(opts.root ?? (process.env.MAILPANEL_ROOT || '/')),
      hostname: opts.hostname === undefined ? undefined : validate.hostname(opts.hostname),
      dbName: opts['db-name'] === undefined ? undefined : validate.dbIdentifier('--db-name', opts['db-name']),
      dbUser: opts['db-user'] === undefined ? undefined : validate.dbIdentifier('--db-user', opts['db-user']),
      pgAdminUrl: opts['pg-admin-url'],
      skipPackages: opts['skip-packages'],
      preseedFile: PRESEED_FILE,
    },
  }
}

/** @returns {Promise<number>} the exit code */
export async function main(args, write = text => process.stdout.write(text)) {
  let parsed
  try {
    parsed = parseArgs(args)
    if (parsed.help) {
      write(USAGE)
      return 0
    }
    if (!existsSync(parsed.osReleaseFile)) throw new SetupError(`${parsed.osReleaseFile} does not exist: cannot tell which operating system this is`)
    const os = osRelease.parse(readFileSync(parsed.osReleaseFile, 'utf8'))
    supportedFamily(os)
    if (!parsed.dryRun && process.getuid?.() !== 0) throw new SetupError('setup installs packages and creates users: run it as root (or try --dry-run)')

    const paths = layout(parsed.options.root)
    const state = await probeSystem({ os, options: parsed.options, paths })
    const plan = planSetup({ os, options: parsed.options, state })
    write(`${chalk.bold('BackendSide MailPanel setup')}: ${os.prettyName} (${plan.family} family), root ${paths.root}, hostname ${plan.hostname}${parsed.dryRun ? ', dry run' : ''}\n`)

    const ctx = { config: state.config, pgAdminUrl: parsed.options.pgAdminUrl }
    for (const warning of plan.warnings) write(`${chalk.yellow('warning:')} ${warning}\n`)
    await runPlan(plan.steps, ctx, { dryRun: parsed.dryRun, write })
    if (parsed.dryRun) write('Dry run: nothing was changed.\n')
    else write(`Setup complete. Configuration: ${paths.configFile}\n`)
    if (ctx.adminPassword) {
      write(`Admin sign-in: user ${chalk.bold(ctx.adminUser)}, password ${chalk.bold(ctx.adminPassword)} (shown once; only its bcrypt hash is stored)\n`)
    }
    if (ctx.metricsTokenCreated) {
      write(`Prometheus: scrape /metrics with the bearer token METRICS_TOKEN from ${paths.configFile} (it reads nothing else)\n`)
    }
    return 0
  }
  catch (err) {
    if (err instanceof StepFailed) {
      process.stderr.write(`${chalk.red('error:')} ${err.message}\n${err.detail.replace(/^/gm, '  ')}\n`)
      return 1
    }
    if (err instanceof SetupError) {
      process.stderr.write(`${chalk.red('error:')} ${err.message}\n`)
      return parsed ? 1 : EXIT_USAGE
    }
    throw err
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
}
