import { createServer, connect, type Server, type Socket } from 'node:net'
import { PGlite } from '@electric-sql/pglite'
import postgres from 'postgres'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { serveEmbedded } from '#server/db/embedded-socket'

// postgres.js 3.4.9 writes small messages from a setImmediate; a connection closed before it fires
// threw from that callback (the process died) and left the timer set, so the connection never
// wrote again (porsager/postgres#1208). patches/postgres+3.4.9.patch fixes both; this proves it.
let db: PGlite
let server: Awaited<ReturnType<typeof serveEmbedded>>
let proxy: Server
const links = new Set<Socket>()

beforeAll(async () => {
  db = await PGlite.create()
  server = await serveEmbedded(db, 8)
  proxy = createServer((client) => {
    const upstream = connect(server.port, '127.0.0.1')
    for (const s of [client, upstream]) {
      links.add(s)
      s.on('error', () => {})
      s.on('close', () => links.delete(s))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
}, 30_000)

afterAll(async () => {
  proxy?.close()
  await server?.close()
  await db?.close()
})

const cutAll = () => new Promise<void>((resolve) => {
  const closing = [...links].map(s => new Promise(r => s.once('close', r)))
  for (const s of links) s.destroy()
  void Promise.all(closing).then(() => setTimeout(resolve, 50))
})

it('a query on a reserved connection whose socket was cut is rejected, and the pool recovers', async () => {
  const { port } = proxy.address() as { port: number }
  const sql = postgres({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 2, onnotice: () => {} })
  try {
    const reserved = await sql.reserve()
    await reserved`SELECT 1`
    await cutAll()
    await expect(reserved`SELECT 2 AS n`).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    reserved.release()
    // The released connection is not handed out dead: both reconnect and write again.
    const rows = await Promise.all([sql`SELECT 3 AS n`, sql`SELECT 4 AS n`, sql`SELECT ${5}::int AS n`])
    expect(rows.map(([r]) => r!.n)).toEqual([3, 4, 5])
  }
  finally {
    await sql.end({ timeout: 1 })
  }
})
