// An administrative PostgreSQL session for creating the panel's role and database: a postgres://
// URL (the `postgres` package), or the local superuser through `runuser -u postgres -- psql` with the
// SQL on stdin. Both take the same SQL text, so there is one code path for what gets created.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { run, showCommand } from './exec.mjs'

const CONNECT_TIMEOUT_S = 5
const FIELD_SEPARATOR = '\x1f'
const SCRAM_ITERATIONS = 4096
const SCRAM_SALT_BYTES = 16
// -w: never prompt on the terminal for a password (peer auth or fail).
const PSQL = ['runuser', '-u', 'postgres', '--', 'psql', '-w', '-X', '-q', '-A', '-t', '-F', FIELD_SEPARATOR, '-v', 'ON_ERROR_STOP=1', '-d', 'postgres']

export const sqlText = {
  ident: name => `"${String(name).replace(/"/g, '""')}"`,
  literal: value => `'${String(value).replace(/'/g, '\'\'')}'`,
}

/**
 * PostgreSQL's SCRAM-SHA-256 verifier (RFC 5802/7677, as libpq's PQencryptPasswordConn makes it), so
 * CREATE ROLE never carries the plaintext into the server's statement log or pg_stat_activity.
 * The generated passwords are hex, for which SASLprep is the identity.
 */
export function scramVerifier(password, salt = randomBytes(SCRAM_SALT_BYTES)) {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256')
  const hmac = text => createHmac('sha256', salted).update(text).digest()
  const storedKey = createHash('sha256').update(hmac('Client Key')).digest()
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${hmac('Server Key').toString('base64')}`
}

/**
 * @param {string | undefined} adminUrl
 * @returns {{ query: (text: string) => Promise<string[][]>, close: () => Promise<void> }}
 */
export function openAdmin(adminUrl) {
  if (adminUrl) {
    const sql = postgres(adminUrl, { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {} })
    return {
      query: async text => (await sql.unsafe(text).values()).map(row => row.map(v => (v === null ? '' : String(v)))),
      close: () => sql.end({ timeout: CONNECT_TIMEOUT_S }),
    }
  }
  return {
    async query(text) {
      // cwd /: psql complains when it cannot enter root's home as postgres.
      const res = await run(PSQL, { input: text, cwd: '/' })
      if (res.code !== 0) throw new Error(`${showCommand(PSQL)} exited with ${res.code}: ${res.stderr.trim()}`)
      return res.stdout.split('\n').filter(Boolean).map(line => line.split(FIELD_SEPARATOR))
    },
    close: async () => {},
  }
}

/** Whether the role exists and who owns the database ('' when it does not exist). */
export async function databaseState(admin, database, user) {
  const [row] = await admin.query(`SELECT (SELECT count(*) FROM pg_roles WHERE rolname = ${sqlText.literal(user)}), `
    + `(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${sqlText.literal(database)})`)
  return { roleExists: row?.[0] === '1', databaseOwner: row?.[1] ?? '' }
}
