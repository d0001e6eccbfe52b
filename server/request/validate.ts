import type { H3Event } from 'h3'
import { getQuery, getRequestHeader, getRouterParam, readRawBody } from 'h3'
import * as v from 'valibot'
import { ApiError, apiErrors } from '#server/utils/errors'

const MAX_BODY_BYTES = 1024 * 1024
const MAX_ISSUES_REPORTED = 3

/** "domain_id: Invalid type…; password: …" — names the fields, never echoes the submitted values. */
function describeIssues(issues: v.BaseIssue<unknown>[]): string {
  return issues.slice(0, MAX_ISSUES_REPORTED).map((issue) => {
    const path = v.getDotPath(issue)
    // valibot's default messages end in `but received "<the value>"`: never send a value back.
    const message = issue.message.replace(/,?\s*but received .*$/s, '')
    return path ? `${path}: ${message}` : message
  }).join('; ')
}

/** PostgreSQL text cannot hold U+0000: find one anywhere in a parsed body or query (keys included). */
function nulPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || 'value' : undefined
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key
    if (key.includes('\0')) return at
    const found = nulPath(inner, at)
    if (found) return found
  }
  return undefined
}

export function parseWith<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const nul = nulPath(input)
  if (nul) throw apiErrors.validation(`${nul}: must not contain NUL characters`)
  const result = v.safeParse(schema, input)
  if (!result.success) throw apiErrors.validation(describeIssues(result.issues))
  return result.output
}

/** Reads a JSON body (415 for other content types, 413 over 1 MiB, 400 for bad JSON) and validates it. */
export async function readValidBody<S extends v.GenericSchema>(event: H3Event, schema: S): Promise<v.InferOutput<S>> {
  const type = getRequestHeader(event, 'content-type') ?? ''
  const raw = await readRawBody(event, 'utf8')
  if (raw !== undefined && raw.length > 0 && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw apiErrors.unsupportedMediaType()
  if (raw !== undefined && Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`)
  }
  let body: unknown
  try {
    body = raw ? JSON.parse(raw) : undefined
  }
  catch {
    throw apiErrors.validation('The request body is not valid JSON.')
  }
  if (body === undefined) throw apiErrors.validation('A JSON request body is required.')
  return parseWith(schema, body)
}

export function getValidQuery<S extends v.GenericSchema>(event: H3Event, schema: S): v.InferOutput<S> {
  return parseWith(schema, getQuery(event))
}

const MAX_ID = 2_147_483_647

/** Route ids are positive int4 values; anything else is a 400, not a 404 or a SQL error. */
export function getIdParam(event: H3Event, name = 'id'): number {
  const raw = getRouterParam(event, name) ?? ''
  const id = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : Number.NaN
  if (!(id <= MAX_ID)) throw apiErrors.validation(`${name}: must be a positive integer`)
  return id
}
