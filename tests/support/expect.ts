import { expect } from 'vitest'
import { expectErrorShape, type ApiResponse, type ErrorBody } from './client'

/** Asserts the status, the flat error envelope and its code; returns the envelope. */
export function expectError(res: ApiResponse<unknown>, status: number, code: string): ErrorBody {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  const err = expectErrorShape(res.body)
  expect(err.code).toBe(code)
  return err
}

/** 400 VALIDATION_FAILED whose detail names `field` (as a whole word) when one is given; returns the envelope. */
export function expectValidation(res: ApiResponse<unknown>, field?: string): ErrorBody {
  const err = expectError(res, 400, 'VALIDATION_FAILED')
  if (field) expect(err.detail).toMatch(new RegExp(`\\b${field}\\b`))
  return err
}

const SECURITY_HEADERS: Record<string, RegExp> = {
  'strict-transport-security': /max-age=\d+/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^no-referrer$/,
}

/** The security headers every response carries; the CSP allows only the panel's own origin and no wildcard. */
export function expectSecurityHeaders(headers: Headers, what = 'the response'): void {
  for (const [name, re] of Object.entries(SECURITY_HEADERS)) expect(headers.get(name) ?? '(missing)', `${name} on ${what}`).toMatch(re)
  const csp = headers.get('content-security-policy') ?? ''
  expect(csp, `CSP on ${what}`).toContain('default-src \'self\'')
  expect(csp, `CSP on ${what}`).not.toMatch(/https?:\/\//i)
  expect(csp, `CSP on ${what}`).not.toMatch(/(^|\s)\*(\s|;|$)/)
}
