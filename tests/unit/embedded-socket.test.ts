import { connect } from 'node:net'
import { PGlite } from '@electric-sql/pglite'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveEmbedded } from '#server/db/embedded-socket'

// The embedded database is one PGlite session shared by a pool; these are the ways sharing broke.
let db: PGlite
let server: Awaited<ReturnType<typeof serveEmbedded>>
let sql: postgres.Sql

const pool = (max: number, prepare = true) => postgres({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', max, prepare, onnotice: () => {} })

beforeAll(async () => {
  db = await PGlite.create()
  server = await serveEmbedded(db, 12)
  sql = pool(8)
  await sql`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)`
  await sql`INSERT INTO counter VALUES (1, 0)`
}, 30_000)

afterAll(async () => {
  await sql?.end()
  await server?.close()
  await db?.close()
})

describe('embedded database socket', () => {
  it('keeps concurrent extended-protocol exchanges on eight connections apart: each gets its own answer', async () => {
    // Unnamed statements and portals (prepare: false) are what another connection's Parse or Sync breaks.
    const unnamed = pool(8, false)
    try {
      const results = await Promise.all(Array.from({ length: 400 }, (_, i) => i % 2
        ? unnamed.unsafe<{ n: number }[]>(`SELECT $1::int AS n, ${i} AS k`, [i])
        : unnamed<{ n: number }[]>`SELECT ${i}::int AS n, repeat(${String(i)}, ${1 + (i % 50)}) AS s`))
      results.forEach(([row], i) => expect(row!.n).toBe(i))
    }
    finally {
      await unnamed.end()
    }
  })

  it('a transaction on one connection sees none of the others\' statements, and they none of its until commit', async () => {
    const other = pool(4)
    try {
      const tx = sql.begin(async (t) => {
        await t`UPDATE counter SET n = 100 WHERE id = 1`
        await new Promise(r => setTimeout(r, 200))
        await t`UPDATE counter SET n = n + 1 WHERE id = 1`
      })
      await new Promise(r => setTimeout(r, 50))
      // Waits for the transaction, then reads its committed result; its own increments are never inside it.
      await Promise.all(Array.from({ length: 20 }, () => other`UPDATE counter SET n = n + 1 WHERE id = 1`))
      await tx
      const [row] = await sql<{ n: number }[]>`SELECT n FROM counter WHERE id = 1`
      expect(row!.n).toBe(121)
    }
    finally {
      await other.end()
    }
  })

  it('rolls back the transaction of a connection that goes away mid-way, and the others carry on', async () => {
    const lost = pool(1)
    await lost.begin(async (t) => {
      await t`UPDATE counter SET n = -1 WHERE id = 1`
      await lost.end({ timeout: 0 })
    }).catch(() => {})
    const [row] = await sql<{ n: number }[]>`SELECT n FROM counter WHERE id = 1`
    expect(row!.n).toBe(121)
  })

  it('answers a TLS request with N and a cancel request by closing, without disturbing the pool', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        const ssl = Buffer.alloc(8)
        ssl.writeInt32BE(8, 0)
        ssl.writeInt32BE(80877103, 4)
        socket.write(ssl)
      })
      socket.once('data', (d) => {
        resolve(d.toString())
        socket.destroy()
      })
      socket.once('error', reject)
    })
    expect(reply).toBe('N')
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        const cancel = Buffer.alloc(16)
        cancel.writeInt32BE(16, 0)
        cancel.writeInt32BE(80877102, 4)
        socket.write(cancel)
      })
      socket.once('close', () => resolve(true))
    })
    expect(closed).toBe(true)
    const [row] = await sql<{ ok: number }[]>`SELECT 1 AS ok`
    expect(row!.ok).toBe(1)
  })
})
