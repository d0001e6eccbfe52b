import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { ApiError } from '#server/utils/errors'

// After a refused body the connection is closed; until then whatever the client still sends is
// read and thrown away (never kept), so it can read our 413 instead of a reset. Bounded in time.
const LINGER_MS = 2_000

const cache = new WeakMap<H3Event, Buffer>()

/** The request carries a body: a non-zero Content-Length or any Transfer-Encoding (chunked). */
export function hasRequestBody(event: H3Event): boolean {
  const length = getRequestHeader(event, 'content-length')
  return (length !== undefined && length.trim() !== '0') || getRequestHeader(event, 'transfer-encoding') !== undefined
}

/**
 * Answer with `Connection: close` and end the connection once the response is out, so the rest of
 * a refused body is never read into memory (a keep-alive connection would have to drain it).
 * Node ends such a response with `socket.destroySoon()`, which resets a connection the client is
 * still sending on, and the client may then never read the answer: half-close instead, throw away
 * whatever still arrives, and destroy the socket after LINGER_MS.
 */
export function closeAfterResponse(event: H3Event): Record<string, string> {
  const { req } = event.node
  const socket = req.socket
  socket.destroySoon = () => {
    req.removeAllListeners('data')
    req.resume()
    socket.end()
    setTimeout(() => socket.destroy(), LINGER_MS).unref()
  }
  return { Connection: 'close' }
}

/** 413 PAYLOAD_TOO_LARGE, and the connection goes after the response. */
export function payloadTooLarge(event: H3Event, detail: string): ApiError {
  return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', detail, closeAfterResponse(event))
}

/**
 * The request body, counted while it streams in: a declared Content-Length over `maxBytes` is
 * refused before a byte is read, and a body (chunked or lying about its length) that passes the cap
 * is cut there — at most `maxBytes` plus one chunk is ever held. Read once per request: a second
 * call returns the same bytes.
 */
export function readBodyCapped(event: H3Event, maxBytes: number): Promise<Buffer> {
  const cached = cache.get(event)
  if (cached) return Promise.resolve(cached)
  const tooLarge = () => payloadTooLarge(event, `Request bodies here are limited to ${maxBytes} bytes.`)
  const declared = Number(getRequestHeader(event, 'content-length') ?? 0)
  if (!(declared <= maxBytes)) return Promise.reject(tooLarge())
  const req = event.node.req
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0))
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        stop()
        req.pause()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      const body = Buffer.concat(chunks, size)
      cache.set(event, body)
      resolve(body)
    }
    const onError = (err: Error) => {
      stop()
      reject(err)
    }
    // A client that goes away mid-body: no one reads the answer, but the promise must not hang
    // (and it is the client's doing, not a server error to log).
    const onClose = () => onError(new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', 'body: the connection closed before the body ended'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
