import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate, type Migration } from '#server/db/migrate'
import { api, expectErrorShape } from '../support/client'
import { ADMIN_PASSWORD, ADMIN_USER, createTestDatabase, freePort, LEGACY_API_KEY, makeRoot, pathWithoutMailDaemons, removeRoot, runServerToExit, startServer, type TestServer } from '../support/server'

const SERVER_ENTRY = join(process.cwd(), '.output/server/index.mjs')
const MIGRATIONS_DIR = join(process.cwd(), 'server/db/migrations')
const CONFIG_DIR = 'etc/backendside-mailpanel'
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 10_000
const POLL_MS = 100
const SLOW_TEST_TIMEOUT_MS = 150_000
const FILE_MODE_BITS = 0o777
const REAL_PG = Boolean(process.env.DATABASE_URL)

interface SpawnedPanel {
  output: () => string
  /** The port from Nitro's "Listening on http://host:N" line. */
  listeningPort: () => Promise<number>
  waitHealthy: (port: number) => Promise<void>
  stop: () => Promise<void>
}

/**
 * Starts the built server with exactly the environment given (keys set to undefined are removed),
 * for the cases startServer() cannot express: no PORT in the environment at all, or PORT=''.
 */
function spawnPanel(root: string, databaseUrl: string | undefined, env: Record<string, string | undefined>): SpawnedPanel {
  const merged: Record<string, string | undefined> = { ...process.env, PATH: pathWithoutMailDaemons(), MAILPANEL_ROOT: root, HOST: '127.0.0.1', CONSOLA_LEVEL: '3', DATABASE_URL: databaseUrl, NITRO_PORT: undefined, NITRO_HOST: undefined, ...env }
  const full = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined))
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: full, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before ${what}:\n${output}`)
      if (Date.now() > deadline) throw new Error(`server not ${what} after ${READY_TIMEOUT_MS} ms:\n${output}`)
      await new Promise(r => setTimeout(r, POLL_MS))
    }
  }

  return {
    output: () => output,
    listeningPort: () => until('listening', async () => {
      const port = /Listening on https?:\/\/[^\s]+:(\d+)/.exec(output)?.[1]
      return port === undefined ? undefined : Number(port)
    }),
    waitHealthy: async (port) => {
      await until('healthy', async () => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/health`)).ok || undefined
        }
        catch {
          return undefined
        }
      })
    },
    stop: async () => {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

const configPath = (root: string, file = 'config.env') => join(root, CONFIG_DIR, file)

/** The build's migrations, versioned as the server versions them (file name without .sql). */
function fileMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR).filter(f => f.endsWith('.sql')).sort()
    .map(f => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(join(MIGRATIONS_DIR, f), 'utf8') }))
}

describe('refuses to start', () => {
  const roots: string[] = []
  afterAll(() => roots.forEach(removeRoot))

  const run = async (values: Record<string, string | undefined>, env: Record<string, string> = {}) => {
    const root = await makeRoot(values)
    roots.push(root)
    return runServerToExit(root, env)
  }

  const expectRefusal = (result: { code: number | null, output: string }) => {
    // null would mean runServerToExit had to kill it: the server started instead of refusing.
    expect(result.code, result.output).not.toBeNull()
    expect(result.code, result.output).not.toBe(0)
    expect(result.output.split('\n').some(line => line.includes('JWT_SECRET')), result.output).toBe(true)
    expect(result.output).not.toMatch(/Listening on/)
  }

  it('without a JWT_SECRET: non-zero exit and a line naming JWT_SECRET', async () => {
    expectRefusal(await run({ JWT_SECRET: undefined }))
  })

  it('with a JWT_SECRET of 31 bytes', async () => {
    expectRefusal(await run({ JWT_SECRET: 'a'.repeat(31) }))
  })

  it('with a JWT_SECRET of 31 bytes in the environment, even when config.env has a good one', async () => {
    expectRefusal(await run({}, { JWT_SECRET: 's'.repeat(31) }))
  })
})

describe('a legacy .env install, started with no PORT in the environment and API_KEY from it', () => {
  const ENV_API_KEY = `env-api-key-${randomBytes(8).toString('hex')}`
  const SECRET_32_BYTES = 'k'.repeat(32)
  let root: string
  let db: { url?: string, drop: () => Promise<void> }
  let legacyText: string
  let configuredPort: number
  let panel: SpawnedPanel
  let baseUrl: string

  beforeAll(async () => {
    db = await createTestDatabase()
    configuredPort = await freePort()
    root = await makeRoot({ JWT_SECRET: SECRET_32_BYTES, PORT: String(configuredPort) }, '.env')
    legacyText = readFileSync(configPath(root, '.env'), 'utf8')
    expect(existsSync(configPath(root))).toBe(false)
    panel = spawnPanel(root, db.url, { PORT: undefined, API_KEY: ENV_API_KEY })
    const port = await panel.listeningPort()
    baseUrl = `http://127.0.0.1:${port}`
    await panel.waitHealthy(port)
  })

  afterAll(async () => {
    await panel?.stop()
    await db?.drop()
    if (root) removeRoot(root)
  })

  it('moves .env to config.env with the same content and mode 0600', () => {
    expect(existsSync(configPath(root, '.env'))).toBe(false)
    expect(readFileSync(configPath(root), 'utf8')).toBe(legacyText)
    expect(statSync(configPath(root)).mode & FILE_MODE_BITS).toBe(0o600)
  })

  it('signs in with the credentials from the migrated file', async () => {
    const res = await api<{ token: string }>('/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD }, auth: false, baseUrl })
    expect(res.status).toBe(200)
    const me = await api('/api/v1/me', { headers: { authorization: `Bearer ${res.body.token}` }, baseUrl })
    expect(me.status).toBe(200)
  })

  it('accepts a JWT_SECRET of exactly 32 bytes', async () => {
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200)
  })

  it('listens on the PORT from the config file when the environment has none', async () => {
    expect(await panel.listeningPort()).toBe(configuredPort)
  })

  it('lets the environment override config.env (API_KEY)', async () => {
    const envKey = await api('/api/v1/me', { headers: { 'x-api-key': ENV_API_KEY }, baseUrl })
    expect(envKey.status).toBe(200)
    const fileKey = await api('/api/v1/me', { headers: { 'x-api-key': LEGACY_API_KEY }, baseUrl })
    expect(fileKey.status).toBe(401)
    expect(expectErrorShape(fileKey.body).code).toBe('UNAUTHORIZED')
  })
})

describe('an empty PORT in the environment', () => {
  const roots: string[] = []
  const panels: SpawnedPanel[] = []
  let db: { url?: string, drop: () => Promise<void> } | undefined

  afterAll(async () => {
    await Promise.all(panels.map(p => p.stop()))
    await db?.drop()
    roots.forEach(removeRoot)
  })

  // An empty variable counts as unset (config.ts maps '' to undefined), so config.env should decide.
  it('falls back to the PORT in config.env', async () => {
    db = await createTestDatabase()
    const configuredPort = await freePort()
    const root = await makeRoot({ PORT: String(configuredPort) })
    roots.push(root)
    const panel = spawnPanel(root, db.url, { PORT: '' })
    panels.push(panel)
    const port = await panel.listeningPort()
    await panel.stop()
    expect(port, panel.output()).toBe(configuredPort)
  }, SLOW_TEST_TIMEOUT_MS)
})

describe('concurrent start-up on one database', () => {
  it('two migrate() calls at the same moment apply each migration exactly once', async () => {
    const tag = randomBytes(4).toString('hex')
    const schema = `race_${tag}`
    const race: Migration[] = [
      { version: `9001_race_a_${tag}`, sql: `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.a (id integer PRIMARY KEY)` },
      // The sleep keeps the first transaction open, so the second caller really waits on the lock.
      { version: `9002_race_b_${tag}`, sql: `CREATE TABLE ${schema}.b (a_id integer REFERENCES ${schema}.a (id)); SELECT pg_sleep(0.2)` },
    ]
    const db = REAL_PG ? await createTestDatabase() : undefined
    const url = db?.url ?? inject('databaseUrl')
    expect(url).toMatch(/^postgres(?:ql)?:\/\//)
    const connect = () => postgres(url, { max: 1, onnotice: () => {} })
    const admin = connect()
    const [a, b] = [connect(), connect()]
    try {
      // A fresh real database gets the build's own migrations too; the shared embedded one already
      // has them applied, and migrate() refuses a database with versions it does not know.
      const base: Migration[] = REAL_PG
        ? fileMigrations()
        : (await admin<{ version: string }[]>`SELECT version FROM schema_migrations`).map(r => ({ version: r.version, sql: '' }))
      const all = [...base, ...race]
      const expected = REAL_PG ? all.map(m => m.version) : race.map(m => m.version)
      await Promise.all([a`SELECT 1`, b`SELECT 1`])

      const results = await Promise.all([migrate(a, all), migrate(b, all)])
      expect([...results[0], ...results[1]].sort()).toEqual([...expected].sort())
      expect(results.some(r => r.length === 0), JSON.stringify(results)).toBe(true)

      const rows = await admin<{ version: string, n: number }[]>`
        SELECT version, count(*)::int AS n FROM schema_migrations WHERE version IN ${admin(all.map(m => m.version))} GROUP BY version`
      expect(rows.map(r => r.version).sort()).toEqual(all.map(m => m.version).sort())
      expect(rows.every(r => r.n === 1), JSON.stringify(rows)).toBe(true)
      const [tables] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${schema}`
      expect(tables!.n).toBe(2)

      // And a third run later has nothing left to do.
      expect(await migrate(a, all)).toEqual([])
    }
    finally {
      if (!REAL_PG) {
        await admin`DELETE FROM schema_migrations WHERE version IN ${admin(race.map(m => m.version))}`
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      }
      await Promise.all([a.end(), b.end(), admin.end()])
      await db?.drop()
    }
  }, SLOW_TEST_TIMEOUT_MS)

  // Two panels on one database only makes sense on a real PostgreSQL: the embedded one is per process.
  it.skipIf(!REAL_PG)('two servers started at the same moment on a fresh database both come up, each migration applied once (needs a real PostgreSQL server: DATABASE_URL)', async () => {
    const db = await createTestDatabase()
    const roots = await Promise.all([makeRoot(), makeRoot()])
    const servers: TestServer[] = []
    try {
      const started = await Promise.allSettled(roots.map(root => startServer({ root, databaseUrl: db.url })))
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
      for (const s of started) if (s.status === 'rejected') throw s.reason
      for (const server of servers) {
        const health = await api<{ status: string, checks: { database: { ok: boolean } } }>('/health', { auth: false, baseUrl: server.url })
        expect(health.status).toBe(200)
        expect(health.body.checks.database.ok).toBe(true)
      }
      // Each server logs the versions it applied: together they must be exactly what the table holds, with no overlap.
      const appliedBy = servers.map(s => /Applied migrations: (.+)/.exec(s.output())?.[1]?.trim().split(/,\s*/) ?? [])
      const sql = postgres(db.url!, { max: 1, onnotice: () => {} })
      try {
        const rows = await sql<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version`
        const versions = rows.map(r => r.version)
        expect(versions).toContain('0001_core')
        expect([...appliedBy[0]!, ...appliedBy[1]!].sort(), servers.map(s => s.output()).join('\n----\n')).toEqual(versions)
        expect(appliedBy.some(list => list.length === 0)).toBe(true)
      }
      finally {
        await sql.end()
      }
    }
    finally {
      await Promise.all(servers.map(s => s.stop()))
      await db.drop()
      roots.forEach(removeRoot)
    }
  }, SLOW_TEST_TIMEOUT_MS)
})

describe('LOG_FORMAT=json', () => {
  let server: TestServer | undefined
  let db: { url?: string, drop: () => Promise<void> } | undefined

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
    if (server) removeRoot(server.root)
  })

  it('writes the panel\'s own log lines as JSON objects with time, level and msg', async () => {
    db = await createTestDatabase()
    server = await startServer({ root: await makeRoot({ LOG_FORMAT: 'json' }), databaseUrl: db.url })
    // Nitro's own "Listening on …" banner is plain text; everything the panel logs goes through consola.
    const lines = server.output().split('\n').filter(line => line.trim() && !line.startsWith('Listening on'))
    expect(lines.length, server.output()).toBeGreaterThan(0)
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>
      expect(typeof entry.time, line).toBe('string')
      expect(Number.isNaN(Date.parse(entry.time as string)), line).toBe(false)
      expect(typeof entry.level, line).toBe('string')
      expect(typeof entry.msg, line).toBe('string')
    }
  }, SLOW_TEST_TIMEOUT_MS)
})
