import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import { consola } from 'consola'

// Start-up packets carry no type byte; these codes sit where the protocol version would.
const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const TERMINATE = 0x58 // 'X'
const READY_FOR_QUERY = 0x5A // 'Z'
const IDLE = 0x49 // 'I': ReadyForQuery outside a transaction
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4])

/**
 * Who talks to the one PGlite backend session. A connection keeps it from its first message until
 * the backend says it is idle again, so the steps of one exchange are never split by another's.
 */
class SessionOwner {
  private owner?: object
  private readonly waiting: { conn: object, grant: () => void }[] = []

  acquire(conn: object): Promise<void> {
    if (!this.owner) this.owner = conn
    if (this.owner === conn) return Promise.resolve()
    return new Promise(grant => this.waiting.push({ conn, grant }))
  }

  /** Hands the session to the longest waiter, if any. */
  release(conn: object): void {
    if (this.owner !== conn) return
    const next = this.waiting.shift()
    this.owner = next?.conn
    next?.grant()
  }

  holds(conn: object): boolean {
    return this.owner === conn
  }
}

/** Length of the next whole message in `buf` (0 while incomplete); start-up packets have no type byte. */
function messageLength(buf: Buffer, startup: boolean): number {
  const header = startup ? 4 : 5
  if (buf.length < header) return 0
  const length = startup ? buf.readInt32BE(0) : 1 + buf.readInt32BE(1)
  return buf.length >= length ? length : 0
}

/** True when `out` ends with ReadyForQuery in the idle state: the exchange is over. */
function endsIdle(out: Uint8Array[]): boolean {
  const tail = Buffer.concat(out.slice(-2))
  return tail.length >= 6 && tail[tail.length - 6] === READY_FOR_QUERY && tail.readInt32BE(tail.length - 5) === 5 && tail[tail.length - 1] === IDLE
}

/**
 * A PostgreSQL wire-protocol server over PGlite for the panel's pool (and an admin's psql).
 *
 * PGlite is a single backend session. pglite-socket 0.2.17 queues single protocol messages from all
 * connections in one line, so one pooled connection's Bind could be followed by another's Sync
 * ("portal \"\" does not exist") or Execute another's portal (electric-sql/pglite#1046, unreleased
 * fix). Here a connection owns the session from its first message until a ReadyForQuery that says
 * idle: whole extended-protocol exchanges, transactions and COPY stay together; others wait.
 */
export function serveEmbedded(db: PGlite, maxConnections: number): Promise<{ port: number, close: () => Promise<void> }> {
  const session = new SessionOwner()
  const sockets = new Set<Socket>()

  async function exec(message: Uint8Array, out?: Uint8Array[], socket?: Socket): Promise<void> {
    await db.runExclusive(() => db.execProtocolRawStream(message, {
      onRawData: (data) => {
        out?.push(data)
        if (socket?.writable) socket.write(data)
      },
    }))
  }

  /** A connection that goes away mid-exchange: end its protocol cycle and transaction for the next owner. */
  async function abandon(conn: object): Promise<void> {
    if (!session.holds(conn)) return
    try {
      await exec(SYNC)
      if (db.isInTransaction()) await db.exec('ROLLBACK')
    }
    catch (err) {
      consola.warn(`Embedded database: cleaning up after a closed connection failed: ${(err as Error).message}`)
    }
    session.release(conn)
  }

  function attach(socket: Socket): void {
    const conn = {}
    let buffered: Buffer = Buffer.alloc(0)
    let startup = true
    let closed = false
    let pumping = false

    async function pump(): Promise<void> {
      if (pumping) return
      pumping = true
      try {
        for (let length = messageLength(buffered, startup); length > 0 && !closed; length = messageLength(buffered, startup)) {
          const message = buffered.subarray(0, length)
          buffered = buffered.subarray(length)
          if (startup) {
            const code = message.length >= 8 ? message.readInt32BE(4) : 0
            if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
              socket.write('N')
              continue
            }
            if (code === CANCEL_REQUEST) { // not supported: PGlite cannot interrupt a running query
              socket.end()
              return
            }
            startup = false
          }
          else if (message[0] === TERMINATE) {
            socket.end()
            return
          }
          await session.acquire(conn)
          if (closed) break
          const out: Uint8Array[] = []
          await exec(new Uint8Array(message), out, socket)
          if (endsIdle(out)) session.release(conn)
        }
      }
      catch (err) {
        consola.warn(`Embedded database: a connection failed: ${(err as Error).message}`)
        socket.destroy()
      }
      finally {
        pumping = false
        if (closed) await abandon(conn)
      }
    }

    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk
      void pump()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      closed = true
      sockets.delete(socket)
      if (!pumping) void abandon(conn)
    })
  }

  const server: Server = createServer(attach)
  server.maxConnections = maxConnections
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => done())
        }),
      })
    })
  })
}
