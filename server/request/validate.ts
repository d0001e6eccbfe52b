import type { H3Event } from 'h3'
import { getQuery, getRequestHeader, getRouterParam } from 'h3'
import * as v from 'valibot'
import { apiErrors } from '#server/utils/errors'
import { readBodyCapped } from '#server/utils/body'
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '#server/utils/json-depth'

/** The cap on a JSON request body (the restore endpoint reads its archive with its own, larger cap). */
export const MAX_BODY_BYTES = 1024 * 1024
const MAX_ISSUES_REPORTED = 3

const plural = (n: unknown, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * valibot's own wording ("Invalid type: Expected string but received 1") → one sentence for people,
 * the same for bodies and queries. A schema's own message ("must be a domain name …") is kept.
 */
function humanize(issue: v.BaseIssue<unknown>): string {
  if (!/^Invalid \w+: /.test(issue.message)) return issue.message
  const requirement = issue.requirement as unknown
  const isList = Array.isArray(issue.input)
  switch (issue.type) {
    case 'strict_object':
    case 'object':
    case 'loose_object':
      if (issue.expected === 'never') return 'is not a field of this request'
      if (issue.input === undefined) return 'is required'
      return 'must be an object'
    case 'string': return issue.input === undefined ? 'is required' : 'must be a string'
    case 'number': return issue.input === undefined ? 'is required' : 'must be a number'
    case 'boolean': return issue.input === undefined ? 'is required' : 'must be true or false'
    case 'array': return issue.input === undefined ? 'is required' : 'must be a list'
    case 'null': return 'must be null'
    case 'literal':
    case 'picklist':
    case 'enum': return `must be one of ${(issue.expected ?? '').replace(/^\(|\)$/g, '').split(' | ').join(', ')}`
    case 'integer': return 'must be an integer'
    case 'min_value': return `must be at least ${requirement}`
    case 'max_value': return `must be at most ${requirement}`
    case 'min_length': return isList ? `must have at least ${plural(requirement, 'item')}` : `must be at least ${plural(requirement, 'character')}`
    case 'max_length': return isList ? `must have at most ${plural(requirement, 'item')}` : `must be at most ${plural(requirement, 'character')}`
    case 'length': return isList ? `must have exactly ${plural(requirement, 'item')}` : `must be exactly ${plural(requirement, 'character')}`
    case 'email': return 'must be an email address'
    case 'ip': return 'must be an IP address'
    case 'url': return 'must be a URL'
    case 'regex': return 'is not in the expected format'
    default: return issue.input === undefined ? 'is required' : 'is not valid'
  }
}

/** "domain_id: must be a number; password: …" — names the fields, never echoes the submitted values. */
function describeIssues(issues: v.BaseIssue<unknown>[]): string {
  return issues.slice(0, MAX_ISSUES_REPORTED).map((issue) => {
    const path = v.getDotPath(issue)
    const message = humanize(issue)
    return path ? `${path}: ${message}` : `body: ${message}`
  }).join('; ')
}

/** PostgreSQL text cannot hold U+0000: find one anywhere in a parsed body or query (keys included), without recursion. */
function nulPath(input: unknown): string | undefined {
  const stack: [unknown, string][] = [[input, '']]
  while (stack.length) {
    const [value, path] = stack.pop()!
    if (typeof value === 'string') {
      if (value.includes('\0')) return path || 'value'
      continue
    }
    if (value === null || typeof value !== 'object') continue
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key
      if (key.includes('\0')) return at.replace(/\0/g, '\\0')
      stack.push([inner, at])
    }
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

/**
 * Reads a JSON body and validates it: 415 for other content types, 413 over MAX_BODY_BYTES (counted
 * while it streams in), 400 for bad JSON or nesting deeper than MAX_JSON_DEPTH. The only reader of
 * JSON bodies: every endpoint that takes one comes through here.
 */
export async function readValidBody<S extends v.GenericSchema>(event: H3Event, schema: S): Promise<v.InferOutput<S>> {
  const type = getRequestHeader(event, 'content-type') ?? ''
  const raw = (await readBodyCapped(event, MAX_BODY_BYTES)).toString('utf8')
  if (raw.length > 0 && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw apiErrors.unsupportedMediaType()
  if (!raw) throw apiErrors.validation('body: a JSON request body is required')
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) throw apiErrors.validation(`body: must not nest arrays or objects more than ${MAX_JSON_DEPTH} levels deep`)
  let body: unknown
  try {
    body = JSON.parse(raw)
  }
  catch {
    throw apiErrors.validation('body: is not valid JSON')
  }
  // Every body of this API is an object; valibot's object schemas would take an array for one.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw apiErrors.validation('body: must be a JSON object')
  return parseWith(schema, body)
}

/** Whether the request sent a body at all (for endpoints whose body is optional). */
export async function hasBody(event: H3Event): Promise<boolean> {
  return (await readBodyCapped(event, MAX_BODY_BYTES)).length > 0
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

/** A route parameter checked by a schema (a Postfix queue id); a bad one is a 400 naming the parameter, its value never echoed. */
export function getValidParam<S extends v.GenericSchema>(event: H3Event, name: string, schema: S): v.InferOutput<S> {
  const result = v.safeParse(schema, getRouterParam(event, name) ?? '')
  if (!result.success) throw apiErrors.validation(`${name}: ${humanize(result.issues[0]!)}`)
  return result.output
}
