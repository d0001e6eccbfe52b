import { describe, expect, it } from 'vitest'
import { spansFor, type MailboxLayout } from '#server/db/queries/mailbox-layout'

// Three domains with 3, 1 and 4 mailboxes: list positions 0-2, 3, 4-7.
const layout: MailboxLayout = {
  version: '1',
  total: 8,
  spans: [
    { domainId: 10, before: 0, count: 3 },
    { domainId: 20, before: 3, count: 1 },
    { domainId: 30, before: 4, count: 4 },
  ],
}

describe('spansFor', () => {
  it('starts inside the domain that holds the offset', () => {
    expect(spansFor(layout, 0, 2)).toEqual({ domainIds: [10], offsets: [0] })
    expect(spansFor(layout, 1, 2)).toEqual({ domainIds: [10], offsets: [1] })
  })

  it('spans domain boundaries, later domains from their start', () => {
    expect(spansFor(layout, 2, 4)).toEqual({ domainIds: [10, 20, 30], offsets: [2, 0, 0] })
    expect(spansFor(layout, 3, 1)).toEqual({ domainIds: [20], offsets: [0] })
    expect(spansFor(layout, 5, 50)).toEqual({ domainIds: [30], offsets: [1] })
  })

  it('is empty past the end and for an empty layout', () => {
    expect(spansFor(layout, 8, 50)).toEqual({ domainIds: [], offsets: [] })
    expect(spansFor({ version: '1', total: 0, spans: [] }, 0, 50)).toEqual({ domainIds: [], offsets: [] })
  })

  it('agrees with a brute-force walk for every offset and limit', () => {
    const positions = layout.spans.flatMap(s => Array.from({ length: s.count }, (_, i) => [s.domainId, i] as const))
    for (let offset = 0; offset <= 9; offset++) {
      for (let limit = 1; limit <= 9; limit++) {
        const slice = positions.slice(offset, offset + limit)
        const expected = { domainIds: [...new Set(slice.map(p => p[0]))], offsets: [] as number[] }
        expected.offsets = expected.domainIds.map(id => slice.find(p => p[0] === id)![1])
        expect(spansFor(layout, offset, limit)).toEqual(expected)
      }
    }
  })
})
