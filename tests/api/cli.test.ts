import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json'
import { runCli, type CliOptions, type CliRun } from '../support/cli'
import { createTestDatabase, freePort, makeRoot, removeRoot, runServerToExit, startServer, type TestServer } from '../support/server'

// The real built binary (bin/backendside-mailpanel → .output/cli/index.mjs) as a child process, on a
// fresh database: real PostgreSQL when DATABASE_URL is set, the embedded one otherwise (.ci/run runs
// the api suite both ways). The panel is only running where a step says so, because the embedded
// database admits one process at a time.

const EXIT_OK = 0
const EXIT_FAILURE = 1
const EXIT_USAGE = 2
const MIGRATION_COUNT = readdirSync(join(process.cwd(), 'server/db/migrations')).filter(f => f.endsWith('.sql')).length
const COMMANDS = ['serve', 'setup', 'reconcile [--dry-run]', 'token create NAME', 'migrate', 'backup [--include-audit] FILE', 'restore FILE', 'status']

interface Archive {
  format: string
  created_at: string
  sha256: string
  tables: Record<string, Record<string, unknown>[]>
  files: Record<string, string>
}

const decode = (bytes: Buffer): Archive => JSON.parse(gunzipSync(bytes).toString('utf8')) as Archive

/** Exactly one line on stderr, and the exit code. */
function expectFailure(run: CliRun, code: number, message: RegExp): void {
  expect(run.code, run.stderr).toBe(code)
  expect(run.stderr).toMatch(message)
  expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1)
}

describe('the command line without a database', () => {
  let root: string
  const cli = (...args: string[]) => runCli(args, { root })

  beforeAll(async () => {
    root = await makeRoot()
  })
  afterAll(() => removeRoot(root))

  it('--help lists every command and the exit codes', async () => {
    const run = await cli('--help')
    expect(run.code).toBe(EXIT_OK)
    for (const synopsis of COMMANDS) expect(run.stdout).toContain(`  ${synopsis}`)
    expect(run.stdout).toMatch(/Exit codes: 0 success, 1 failure .*\n2 usage error/)
    expect((await cli('help')).stdout).toBe(run.stdout)
  })

  it('--version prints the version of package.json', async () => {
    const run = await cli('--version')
    expect(run.code).toBe(EXIT_OK)
    expect(run.stdout).toMatch(new RegExp(`^backendside-mailpanel ${pkg.version.replaceAll('.', '\\.')} \\(build \\d+\\)\\n$`))
  })

  it('help COMMAND (or COMMAND --help) explains one command', async () => {
    const run = await cli('help', 'restore')
    expect(run.code).toBe(EXIT_OK)
    expect(run.stdout).toMatch(/^Usage: backendside-mailpanel restore FILE\n/)
    expect(run.stdout).toContain('nothing changes')
    expect((await cli('restore', '--help')).stdout).toBe(run.stdout)
    expect((await cli('help', 'token')).stdout).toMatch(/^Usage: backendside-mailpanel token create NAME\n/)
    expectFailure(await cli('help', 'frobnicate'), EXIT_USAGE, /no such command: frobnicate/)
  })

  it('an unknown command, a missing or extra argument, an unknown option → exit 2 with one line', async () => {
    expectFailure(await cli('frobnicate'), EXIT_USAGE, /^backendside-mailpanel: unknown command frobnicate \(see backendside-mailpanel --help\)\n$/)
    expectFailure(await cli('token'), EXIT_USAGE, /token needs a subcommand: token create NAME/)
    expectFailure(await cli('token', 'create'), EXIT_USAGE, /token create: missing NAME/)
    expectFailure(await cli('backup'), EXIT_USAGE, /backup: missing FILE/)
    expectFailure(await cli('restore'), EXIT_USAGE, /restore: missing FILE/)
    expectFailure(await cli('migrate', 'now'), EXIT_USAGE, /migrate: unexpected argument now/)
    expectFailure(await cli('reconcile', '--force'), EXIT_USAGE, /reconcile: Unknown option '--force'/)
    expectFailure(await cli('token', 'create', ' '), EXIT_USAGE, /NAME is required/)
    expectFailure(await cli('serve', 'now'), EXIT_USAGE, /serve takes no arguments/)
  })

  it('a database that does not answer → exit 1 naming it, after one attempt', async () => {
    const closed = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`
    expectFailure(await runCli(['token', 'create', 'x'], { root, databaseUrl: closed }), EXIT_FAILURE, /the database is not reachable: .*ECONNREFUSED/)
    const status = await runCli(['status'], { root, databaseUrl: closed, env: { PORT: String(await freePort()) } })
    expect(status.code).toBe(EXIT_FAILURE)
    expect(status.stdout).toMatch(/^database +not reachable: .*ECONNREFUSED/m)
  })

  it('a configuration the server would refuse is refused the same way (exit 1)', async () => {
    const bad = await makeRoot({ JWT_SECRET: undefined })
    try {
      expectFailure(await runCli(['status'], { root: bad }), EXIT_FAILURE, /the configuration is refused: JWT_SECRET is not set/)
    }
    finally {
      removeRoot(bad)
    }
  })
})

describe('the command line on the panel\'s database', () => {
  let root: string
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let server: TestServer | undefined
  let archive: Buffer
  let token: string
  // Where status looks for the panel: a port nothing listens on until a step starts the server there.
  let port: number
  const opts = (): CliOptions => ({ root, databaseUrl: database.url, env: { PORT: String(port) } })
  const cli = (...args: string[]) => runCli(args, opts())
  const configFile = () => join(root, 'etc/backendside-mailpanel/config.env')
  const auditLines = () => readFileSync(join(root, 'etc/backendside-mailpanel/audit.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  /** Every table, from a fresh backup (the state a restore must leave alone when it refuses). */
  const tables = async () => decode((await cli('backup', '-')).bytes).tables

  async function withServer<T>(work: (s: TestServer) => Promise<T>): Promise<T> {
    server = await startServer({ root, databaseUrl: database.url })
    port = Number(new URL(server.url).port)
    try {
      return await work(server)
    }
    finally {
      await server.stop()
      server = undefined
      port = await freePort()
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase()
    root = await makeRoot()
    port = await freePort()
  })
  afterAll(async () => {
    await server?.stop()
    await database.drop()
    removeRoot(root)
  })

  it('a command that needs the schema refuses an unmigrated database and says to run migrate', async () => {
    expectFailure(await cli('token', 'create', 'too-early'), EXIT_FAILURE, /the database schema is behind this build \(\d+ migration\(s\) pending, from 0001_core\): run `backendside-mailpanel migrate` first/)
  })

  it('migrate applies every migration, and a second run changes nothing', async () => {
    const first = await cli('migrate')
    expect(first.code, first.stderr).toBe(EXIT_OK)
    expect(first.stdout).toMatch(new RegExp(`^Applied ${MIGRATION_COUNT} migration\\(s\\): 0001_core, `))
    const second = await cli('migrate')
    expect(second.code, second.stderr).toBe(EXIT_OK)
    expect(second.stdout).toMatch(/^The schema is up to date \(0017_\w+\)\.\n$/)
    expect(auditLines().filter(l => l.action === 'CLI migrate')).toHaveLength(1)
  })

  it('status with the panel stopped → exit 1: panel down, database reachable, schema current', async () => {
    const run = await cli('status')
    expect(run.code, run.stdout + run.stderr).toBe(EXIT_FAILURE)
    expect(run.stdout).toMatch(new RegExp(`^panel +down: http://127\\.0\\.0\\.1:${port}: connection refused$`, 'm'))
    expect(run.stdout).toMatch(/^database +reachable \((PostgreSQL|embedded PGlite)\)$/m)
    expect(run.stdout).toMatch(/^schema +0017_\w+ \(up to date\)$/m)
    expect(run.stdout).toMatch(/^reconcile +no run recorded yet$/m)
  })

  it('token create prints only the token on stdout; it authenticates against the started panel', async () => {
    const run = await cli('token', 'create', 'deploy-bot')
    expect(run.code, run.stderr).toBe(EXIT_OK)
    expect(run.stdout).toMatch(/^bsmp_[\w-]{40,}\n$/)
    expect(run.stderr).toMatch(/Token deploy-bot created \(id \d+\); copy it now, it is not shown again/)
    token = run.stdout.trim()
    expect(auditLines().at(-1)).toMatchObject({ actor: expect.stringMatching(/^cli:/), action: 'CLI token create', status: 201, ip: 'local' })

    await withServer(async (s) => {
      const me = await fetch(`${s.url}/api/v1/me`, { headers: { 'x-api-key': token } })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({ kind: 'token', name: 'token:deploy-bot' })
      expect((await fetch(`${s.url}/api/v1/me`, { headers: { 'x-api-key': `${token}x` } })).status).toBe(401)

      const status = await cli('status')
      expect(status.code, status.stdout + status.stderr).toBe(EXIT_OK)
      expect(status.stdout).toMatch(new RegExp(`^panel +up at http://127\\.0\\.0\\.1:${port} \\(health: (ok|degraded)\\)$`, 'm'))
    })
  })

  it('reconcile runs once, records the run, and status shows it', async () => {
    const run = await cli('reconcile')
    expect(run.code, run.stderr).toBe(EXIT_OK)
    expect(run.stdout).toMatch(/^Reconcile: nothing to change\n$/m)
    expect((await cli('status')).stdout).toMatch(/^reconcile +\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ min ago, cli, no change\)$/m)
  })

  it('backup FILE writes the API\'s archive format, readable by its owner only; - writes it to stdout', async () => {
    const file = join(root, 'backup.json.gz')
    const run = await cli('backup', file)
    expect(run.code, run.stderr).toBe(EXIT_OK)
    expect(run.stdout).toBe('')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    archive = readFileSync(file)
    const document = decode(archive)
    expect(document.format).toBe('backendside-mailpanel-backup')
    expect(document.tables.api_tokens!.map(t => t.name)).toEqual(['deploy-bot'])
    expect(document.files['config.env']).toBe(readFileSync(configFile(), 'utf8'))
    expect(document.files['audit.log']).toBeUndefined()

    const piped = await cli('backup', '--include-audit', '-')
    expect(piped.code, piped.stderr).toBe(EXIT_OK)
    expect(decode(piped.bytes).files['audit.log']).toContain('CLI token create')
    expect(auditLines().at(-1)).toMatchObject({ action: 'CLI backup', status: 200 })
  })

  it('backup to a folder that does not exist, or onto a directory → exit 1 naming the problem', async () => {
    expectFailure(await cli('backup', join(root, 'no/such/dir/b.json.gz')), EXIT_FAILURE, new RegExp(`cannot write .*b\\.json\\.gz: ${root}/no/such/dir: no such file or directory`))
    mkdirSync(join(root, 'a-dir'))
    expectFailure(await cli('backup', join(root, 'a-dir')), EXIT_FAILURE, /cannot write .*a-dir: it is a directory/)
  })

  it('restore of a missing, empty or non-archive FILE → exit 1 with the reason', async () => {
    expectFailure(await cli('restore', join(root, 'missing.json.gz')), EXIT_FAILURE, /cannot read .*missing\.json\.gz: no such file or directory/)
    writeFileSync(join(root, 'empty'), '')
    expectFailure(await cli('restore', join(root, 'empty')), EXIT_FAILURE, /empty: not a backup archive/)
    writeFileSync(join(root, 'junk'), 'hello')
    expectFailure(await cli('restore', join(root, 'junk')), EXIT_FAILURE, /restore refused: .*JSON/)
  })

  it('restore of a tampered archive is refused and nothing changes', async () => {
    const document = decode(archive)
    document.tables.api_tokens![0]!.name = 'evil'
    const tampered = join(root, 'tampered.json.gz')
    writeFileSync(tampered, gzipSync(JSON.stringify(document)))
    const config = readFileSync(configFile(), 'utf8')
    await cli('token', 'create', 'after-backup')
    const before = await tables()

    expectFailure(await cli('restore', tampered), EXIT_FAILURE, /restore refused: .*sha256.*nothing was changed/)
    expect(await tables()).toEqual(before)
    expect(readFileSync(configFile(), 'utf8')).toBe(config)
    expect(auditLines().filter(l => l.action === 'CLI restore').at(-1)).toMatchObject({ target: tampered, status: 400 })
  })

  it('restore - (stdin) puts back the archive\'s state: a token minted since is gone', async () => {
    const run = await runCli(['restore', '-'], { ...opts(), input: archive })
    expect(run.code, run.stderr).toBe(EXIT_OK)
    expect(run.stdout).toMatch(/^Backup of \S+ restored: .*\b1 api_tokens\b.*; files: config\.env\n$/)
    expect((await tables()).api_tokens!.map(t => t.name)).toEqual(['deploy-bot'])
    await withServer(async (s) => {
      expect((await fetch(`${s.url}/api/v1/me`, { headers: { 'x-api-key': token } })).status).toBe(200)
    })
  })
})

describe('the command line beside a panel on the embedded database', () => {
  let root: string
  let server: TestServer | undefined

  beforeAll(async () => {
    root = await makeRoot()
    server = await startServer({ root })
  })
  afterAll(async () => {
    await server?.stop()
    removeRoot(root)
  })

  it('a command that needs the database refuses while the panel holds it, and changes nothing', async () => {
    const port = new URL(server!.url).port
    const run = await runCli(['token', 'create', 'while-running'], { root, env: { PORT: port } })
    expectFailure(run, EXIT_FAILURE, new RegExp(`the embedded database in .*pgdata is open in process ${server!.pid} .*stop the panel first`))
    const status = await runCli(['status'], { root, env: { PORT: port } })
    expect(status.code, status.stdout + status.stderr).toBe(EXIT_OK)
    expect(status.stdout).toMatch(/^database +embedded, open in the running panel \(its check: ok\)$/m)

    expect((await fetch(`${server!.url}/health`)).status).toBe(200)
  })

  it('a second panel on the same root refuses to start instead of opening the database twice', async () => {
    const second = await runServerToExit(root, { DATABASE_URL: '' }) // empty is unset: the embedded database
    expect(second.code).toBe(EXIT_FAILURE)
    expect(second.output).toMatch(new RegExp(`Database start-up failed: the embedded database in .*pgdata is open in process ${server!.pid}`))
    expect((await fetch(`${server!.url}/health`)).status).toBe(200)
  })

  it('once the panel has stopped the commands run; a lock left by a dead process is taken over', async () => {
    await server!.stop()
    server = undefined
    const after = await runCli(['token', 'create', 'after-stop'], { root })
    expect(after.code, after.stderr).toBe(EXIT_OK)
    expect(after.stdout).toMatch(/^bsmp_/)

    const gone = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(join(root, 'var/lib/backendside-mailpanel/pgdata.lock'), `${gone}\n`)
    const migrate = await runCli(['migrate'], { root })
    expect(migrate.code, migrate.stderr).toBe(EXIT_OK)
    expect(migrate.stdout).toMatch(/^The schema is up to date/)
    expect(existsSync(join(root, 'var/lib/backendside-mailpanel/pgdata.lock'))).toBe(false)
  })
})
