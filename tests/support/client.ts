import type { ListEnvelope } from '#shared/types/list'
import { request } from 'node:http'
import { inject } from 'vitest'
import { LEGACY_API_KEY } from './server'

export interface ApiResponse<T = Record<string, unknown>> {
  status: number
  body: T
  headers: Headers
}

export interface RequestOptions {
  method?: string
  body?: unknown
  /** Raw body text, sent as-is (for malformed-JSON tests). */
  raw?: string
  headers?: Record<string, string>
  /** Authenticate with the legacy API key unless false or other credentials are given in headers. */
  auth?: boolean
  baseUrl?: string
}

/** The flat error envelope every 4xx/5xx carries. */
export type ErrorBody = { error: string, detail: string, code: string }

/** A page of a list endpoint. */
export type ListBody<T> = ListEnvelope<T>

export const serverUrl = (): string => inject('serverUrl')

/** The header that sends a JWT as a Bearer token. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** A small fetch wrapper: JSON in, JSON out, the legacy API key by default. */
export async function api<T = Record<string, unknown>>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.auth !== false && !headers['x-api-key'] && !headers.authorization && !headers.cookie) headers['x-api-key'] = LEGACY_API_KEY
  let body: string | undefined = opts.raw
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetch(`${opts.baseUrl ?? serverUrl()}${path}`, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  }
  catch { /* not JSON: keep the text */ }
  return { status: res.status, body: parsed as T, headers: res.headers }
}

let counter = 0
/** A domain name no other test uses, so files can run in parallel against one server. */
export const uniqueDomain = (prefix = 't'): string => `${prefix}${Date.now().toString(36)}${process.pid}${++counter}.example`

export async function createDomain(name = uniqueDomain()): Promise<{ id: number, name: string }> {
  const res = await api<{ id: number }>('/api/v1/domains', { body: { name } })
  if (res.status !== 201) throw new Error(`domain create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { id: res.body.id, name }
}

export async function createMailbox(domainId: number, username: string, password = 'mailbox-pass-123', extra: Record<string, unknown> = {}): Promise<number> {
  const res = await api<{ id: number }>('/api/v1/mailboxes', { body: { domain_id: domainId, username, password, ...extra } })
  if (res.status !== 201) throw new Error(`mailbox create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}

export async function createAlias(domainId: number, source: string, destinations: string[] = ['dest@elsewhere.example']): Promise<number> {
  const res = await api<{ id: number }>('/api/v1/aliases', { body: { domain_id: domainId, source, destinations } })
  if (res.status !== 201) throw new Error(`alias create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}

export interface SendOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  /** Source address of the TCP connection (all of 127.0.0.0/8 is on lo); the system's choice when unset. */
  from?: string
  baseUrl?: string
}

/**
 * One request from a chosen loopback address (node:http, so the source can be bound).
 * Unlike api(), it adds no credentials: send them in `headers`.
 */
export function sendFrom(path: string, opts: SendOptions = {}): Promise<ApiResponse> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  const headers: Record<string, string> = { ...opts.headers }
  if (payload !== undefined) headers['content-type'] ??= 'application/json'
  const method = opts.method ?? (payload === undefined ? 'GET' : 'POST')
  return new Promise((resolve, reject) => {
    const req = request(`${opts.baseUrl ?? serverUrl()}${path}`, { method, headers, localAddress: opts.from, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        const out = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value ?? []].flat()) out.append(name, v)
        }
        let body: unknown = text
        try {
          body = text ? JSON.parse(text) : undefined
        }
        catch { /* not JSON: keep the text */ }
        resolve({ status: res.statusCode ?? 0, headers: out, body: body as Record<string, unknown> })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** Asserts the flat error envelope and returns it. */
export function expectErrorShape(body: unknown): ErrorBody {
  const b = body as Record<string, unknown>
  if (typeof b !== 'object' || b === null || typeof b.error !== 'string' || typeof b.detail !== 'string' || typeof b.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(b.code)) {
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`)
  }
  if (Object.keys(b).length !== 3) throw new Error(`error envelope has extra keys: ${JSON.stringify(body)}`)
  return b as ErrorBody
}

export interface StreamOptions {
  method?: string
  headers?: Record<string, string>
  /** Bytes to generate and send (chunked: no Content-Length unless given in headers). */
  bytes: number
  /** What the body repeats: e.g. '[' for deep JSON; spaces by default. */
  fill?: string
  baseUrl?: string
}

/**
 * Streams a generated body (never held in memory here either) and resolves with the response as
 * soon as it arrives, even if the server answers before the body is done; a connection the server
 * closes after answering is expected. `sent` is how many body bytes went out before the answer.
 */
export function streamBody(path: string, opts: StreamOptions): Promise<ApiResponse & { sent: number }> {
  const chunk = Buffer.from((opts.fill ?? ' ').repeat(Math.ceil(65_536 / (opts.fill ?? ' ').length)).slice(0, 65_536))
  return new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const req = request(`${opts.baseUrl ?? serverUrl()}${path}`, { method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, agent: false }, (res) => {
      answered = true
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      const done = () => {
        const out = new Headers()
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) out.append(name, v)
        let body: unknown = text
        try {
          body = text ? JSON.parse(text) : undefined
        }
        catch { /* keep the text */ }
        resolve({ status: res.statusCode ?? 0, headers: out, body: body as Record<string, unknown>, sent })
        req.destroy()
      }
      res.on('end', done)
      res.on('error', done)
    })
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    const pump = () => {
      while (!answered && sent < opts.bytes) {
        const part = opts.bytes - sent >= chunk.length ? chunk : chunk.subarray(0, opts.bytes - sent)
        sent += part.length
        if (!req.write(part)) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    if (opts.headers?.['content-length'] !== undefined && opts.bytes === 0) req.end()
    else pump()
  })
}
