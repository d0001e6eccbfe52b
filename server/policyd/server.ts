import { createServer, type Server, type Socket } from 'node:net'
import type { Verdict } from './decide'
import { formatReply, PolicyParser, type PolicyAttributes } from './protocol'
import type { PolicyStats } from './stats'

/**
 * The TCP side of the policy daemon. Postfix keeps one connection per smtpd process and sends one
 * request at a time on it; anything else (garbage, huge lines, a client that trickles bytes,
 * thousands of idle sockets, a flood of pipelined requests) must cost bounded memory and never
 * take the panel down:
 * - the parser bounds a line and a request (protocol.ts); a broken request closes the connection;
 * - a request must arrive whole within REQUEST_TIMEOUT_MS of its first byte (slowloris);
 * - a connection idle for IDLE_TIMEOUT_MS is closed — longer than Postfix's own
 *   smtpd_policy_service_max_idle (300 s), so we never cut a connection Postfix means to reuse;
 * - at MAX_CONNECTIONS the longest-idle connection is dropped to admit a new one;
 * - a client that pipelines requests without reading replies is paused (socket backpressure).
 * Replies on a connection keep the order of its requests.
 */

export const REQUEST_TIMEOUT_MS = 10_000
export const IDLE_TIMEOUT_MS = 330_000
export const MAX_CONNECTIONS = 4_096
// Requests parsed but not yet answered on one connection before it stops reading.
const MAX_QUEUED = 64
const SWEEP_MS = 1_000

export type PolicyHandler = (attrs: PolicyAttributes) => Promise<Verdict>

interface Connection {
  socket: Socket
  parser: PolicyParser
  queue: PolicyAttributes[]
  busy: boolean
  paused: boolean
  /** Set when the connection must close once its queued requests are answered. */
  ending: boolean
  lastActive: number
  /** When the first byte of the request now arriving came (0 = between requests). */
  partialSince: number
}

export interface ListenAddress {
  host: string
  port: number
}

export class PolicyServer {
  private server: Server | undefined
  private readonly connections = new Set<Connection>()
  private sweeper: NodeJS.Timeout | undefined
  private closing = false
  address: ListenAddress | undefined

  constructor(private readonly handle: PolicyHandler, private readonly stats: PolicyStats) {}

  get connectionCount(): number {
    return this.connections.size
  }

  listen(host: string, port: number): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true, allowHalfOpen: true }, socket => this.accept(socket))
      server.once('error', reject)
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject)
        // After start-up an accept error (e.g. EMFILE) is logged by Node's default handler only if
        // unhandled; keep it from becoming an uncaught exception.
        server.on('error', () => {})
        const info = server.address() as { address: string, port: number }
        this.server = server
        this.address = { host: info.address, port: info.port }
        this.sweeper = setInterval(() => this.sweep(), SWEEP_MS)
        this.sweeper.unref()
        resolve(this.address)
      })
    })
  }

  /**
   * Stops accepting connections, answers every request already received, closes each connection
   * when it has nothing left to answer; after `graceMs` whatever is left is cut.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closing) return
    this.closing = true
    clearInterval(this.sweeper)
    const server = this.server
    const closed = server ? new Promise<void>(resolve => server.close(() => resolve())) : Promise.resolve()
    for (const conn of this.connections) {
      conn.ending = true
      this.finishIfDone(conn)
    }
    const timer = setTimeout(() => {
      for (const conn of this.connections) conn.socket.destroy()
    }, graceMs)
    await closed
    clearTimeout(timer)
    this.address = undefined
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    if (this.connections.size >= MAX_CONNECTIONS && !this.dropIdlest()) {
      this.stats.connectionsRefused++
      socket.destroy()
      return
    }
    this.stats.connectionsTotal++
    const conn: Connection = { socket, parser: new PolicyParser(), queue: [], busy: false, paused: false, ending: false, lastActive: Date.now(), partialSince: 0 }
    this.connections.add(conn)
    socket.on('data', chunk => this.receive(conn, chunk))
    socket.on('end', () => {
      // The client is done sending: answer what it asked, then close our side.
      conn.ending = true
      this.finishIfDone(conn)
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.connections.delete(conn))
    socket.on('drain', () => this.resumeIfReady(conn))
  }

  private receive(conn: Connection, chunk: Buffer): void {
    if (conn.ending) return
    const now = Date.now()
    conn.lastActive = now
    const { requests, error } = conn.parser.push(chunk)
    for (const request of requests) conn.queue.push(request)
    if (error) {
      // Requests complete before the broken line are still answered; nothing after it is read.
      this.stats.protocolErrors++
      conn.ending = true
      conn.socket.pause()
    }
    conn.partialSince = conn.parser.midRequest ? conn.partialSince || now : 0
    if (conn.queue.length >= MAX_QUEUED && !conn.paused) {
      conn.paused = true
      conn.socket.pause()
    }
    void this.pump(conn)
  }

  private async pump(conn: Connection): Promise<void> {
    if (conn.busy) return
    conn.busy = true
    while (conn.queue.length && !conn.socket.destroyed) {
      const request = conn.queue.shift()!
      let reply: string
      try {
        reply = formatReply((await this.handle(request)).action)
      }
      catch {
        // The handler turns every expected failure into a verdict; an unexpected one must not
        // leave Postfix waiting: DUNNO lets its other restrictions decide.
        reply = formatReply('DUNNO')
      }
      if (conn.socket.destroyed) break
      conn.socket.write(reply)
      conn.lastActive = Date.now()
    }
    conn.busy = false
    this.resumeIfReady(conn)
    this.finishIfDone(conn)
  }

  private resumeIfReady(conn: Connection): void {
    if (conn.paused && !conn.ending && conn.queue.length < MAX_QUEUED / 2 && !conn.socket.writableNeedDrain) {
      conn.paused = false
      conn.socket.resume()
    }
  }

  /** Closes a connection that must end once its replies are written; fully, even if the client never sends its FIN. */
  private finishIfDone(conn: Connection): void {
    if (conn.ending && !conn.busy && !conn.queue.length && !conn.socket.destroyed) conn.socket.end(() => conn.socket.destroy())
  }

  private isIdle(conn: Connection): boolean {
    return !conn.busy && !conn.queue.length && !conn.parser.midRequest
  }

  /** At the cap: the connection idle the longest makes room; false if every connection is busy. */
  private dropIdlest(): boolean {
    let idlest: Connection | undefined
    for (const conn of this.connections) {
      if (this.isIdle(conn) && (!idlest || conn.lastActive < idlest.lastActive)) idlest = conn
    }
    if (!idlest) return false
    this.stats.connectionsClosedIdle++
    idlest.socket.destroy()
    this.connections.delete(idlest)
    return true
  }

  private sweep(): void {
    const now = Date.now()
    for (const conn of this.connections) {
      if (conn.partialSince && now - conn.partialSince > REQUEST_TIMEOUT_MS) {
        this.stats.requestTimeouts++
        conn.socket.destroy()
      }
      else if (this.isIdle(conn) && now - conn.lastActive > IDLE_TIMEOUT_MS) {
        this.stats.connectionsClosedIdle++
        conn.socket.destroy()
      }
    }
  }
}
