import { describe, expect, it } from 'vitest'
import { jsonDepthExceeds } from '#server/utils/json-depth'

describe('jsonDepthExceeds', () => {
  it.each([
    ['[]', 1, false],
    ['[[]]', 1, true],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['"[[[[[["', 1, false],
    ['["\\"[[[", []]', 2, false],
    ['["\\\\", [[]]]', 2, true],
    ['1', 0, false],
  ])('%s with a limit of %i exceeds it: %s', (text, limit, expected) => {
    expect(jsonDepthExceeds(text, limit)).toBe(expected)
  })

  it('scans 100,000 levels without recursion', () => {
    expect(jsonDepthExceeds('['.repeat(100_000) + ']'.repeat(100_000), 32)).toBe(true)
  })
})
