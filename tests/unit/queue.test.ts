import { describe, expect, it } from 'vitest'
import { LineSplitter, MAX_LINE_BYTES, parseQueueLine, QueueFinder, QueuePager } from '#server/services/queue/parse'
import { isQueueId } from '#shared/schemas/queue'
import { MAX_RECIPIENTS_SHOWN } from '#shared/types/queue'

const line = (o: Record<string, unknown>) => `${JSON.stringify({ queue_name: 'deferred', arrival_time: 1_780_000_000, message_size: 812, forced_expire: false, sender: 'alice@example.com', recipients: [], ...o })}\n`
const shortId = (n: number) => `ABC${n.toString(16).toUpperCase().padStart(7, '0')}`

describe('queue ids', () => {
  it('takes both of Postfix\'s forms and nothing else', () => {
    for (const id of ['3F1A2B4C5D', 'A1B2C3', '0123456789ABCDEF01234', '3Pt2mN2VXxznjll', '4bXkQy1Rr9zWx5']) expect(isQueueId(id), id).toBe(true)
    for (const id of ['', 'ABCDE', '3f1a2b4c5d', '0123456789ABCDEF012345', 'ALL', '-d', '../../etc', 'ABC DEF', 'ABCDEF\n', '3Pt2mN2VXxznjllz', '3Pt2mN2VAxznjll', 'short1z2', `${'B'.repeat(10)}z`])
      expect(isQueueId(id), JSON.stringify(id)).toBe(false)
  })
})

describe('postqueue -j lines', () => {
  it('a line becomes a message with its delay reasons; unknown members are ignored', () => {
    const m = parseQueueLine(line({ queue_id: '3F1A2B4C5D', future_member: 1, recipients: [{ address: 'bob@remote.example', delay_reason: 'connect to remote.example[192.0.2.1]:25: Connection refused' }, { address: 'carol@remote.example' }] }))
    expect(m).toEqual({
      queue_id: '3F1A2B4C5D', queue_name: 'deferred', arrival_time: new Date(1_780_000_000_000), message_size: 812, sender: 'alice@example.com', forced_expire: false, recipient_count: 2,
      recipients: [{ address: 'bob@remote.example', delay_reason: 'connect to remote.example[192.0.2.1]:25: Connection refused' }, { address: 'carol@remote.example', delay_reason: null }],
    })
  })

  it('garbage, a bad id or an unknown queue is not a message', () => {
    for (const bad of ['', 'not json', '[]', '"x"', line({ queue_id: 'bad id' }), line({ queue_id: '3F1A2B4C5D', queue_name: 'bogus' })]) expect(parseQueueLine(bad), bad).toBeUndefined()
  })

  it('lists at most MAX_RECIPIENTS_SHOWN recipients and counts them all', () => {
    const recipients = Array.from({ length: MAX_RECIPIENTS_SHOWN + 5 }, (_, i) => ({ address: `r${i}@x.example` }))
    const m = parseQueueLine(line({ queue_id: '3F1A2B4C5D', recipients }))!
    expect(m.recipients).toHaveLength(MAX_RECIPIENTS_SHOWN)
    expect(m.recipient_count).toBe(MAX_RECIPIENTS_SHOWN + 5)
  })
})

describe('the line splitter', () => {
  it('joins lines across chunks, takes a last line without newline, and drops an over-long one whole', () => {
    const lines: string[] = []
    let skipped = 0
    const s = new LineSplitter(l => lines.push(l), () => skipped++)
    s.push(Buffer.from('one\ntw'))
    s.push(Buffer.from('o\n'))
    s.push(Buffer.alloc(MAX_LINE_BYTES, 'x'))
    s.push(Buffer.from('xx\nthree'))
    s.end()
    expect(lines).toEqual(['one', 'two', 'three'])
    expect(skipped).toBe(1)
  })
})

describe('the pager', () => {
  const stream = (pager: { push: (b: Buffer) => void, end: () => void }, text: string, chunk = 7) => {
    for (let i = 0; i < text.length; i += chunk) pager.push(Buffer.from(text.slice(i, i + chunk)))
    pager.end()
  }

  it('counts every message per queue, keeps only the page, filters by queue and literal substring', () => {
    const text = Array.from({ length: 10 }, (_, i) => line({ queue_id: shortId(i), queue_name: i < 6 ? 'deferred' : 'hold', sender: i === 3 ? 'Weird.(Sender)*@x.example' : 'alice@example.com', recipients: [{ address: `r${i}@dest.example` }] })).join('') + 'garbage\n'
    const page2 = new QueuePager({}, { page: 2, limit: 3 })
    stream(page2, text)
    expect(page2.total).toBe(10)
    expect(page2.rows.map(r => r.queue_id)).toEqual([3, 4, 5].map(shortId))
    expect(page2.counts).toMatchObject({ deferred: 6, hold: 4, active: 0 })
    expect(page2.skipped).toBe(1)

    const held = new QueuePager({ queue: 'hold' }, { page: 1, limit: 50 })
    stream(held, text)
    expect(held.total).toBe(4)
    expect(held.counts.deferred).toBe(6)

    const literal = new QueuePager({ q: '(sender)*' }, { page: 1, limit: 50 })
    stream(literal, text)
    expect(literal.rows.map(r => r.queue_id)).toEqual([shortId(3)])
    const recipient = new QueuePager({ q: 'R7@DEST' }, { page: 1, limit: 50 })
    stream(recipient, text)
    expect(recipient.rows.map(r => r.queue_id)).toEqual([shortId(7)])
  })

  it('finds a recipient beyond those listed', () => {
    const recipients = Array.from({ length: MAX_RECIPIENTS_SHOWN + 1 }, (_, i) => ({ address: `r${i}@x.example` }))
    const pager = new QueuePager({ q: `r${MAX_RECIPIENTS_SHOWN}@` }, { page: 1, limit: 50 })
    stream(pager, line({ queue_id: '3F1A2B4C5D', recipients }), 1000)
    expect(pager.total).toBe(1)
  })

  it('holds only the page of a queue of 100,000 messages', () => {
    const pager = new QueuePager({}, { page: 3, limit: 50 })
    const chunk = Array.from({ length: 1000 }, (_, i) => line({ queue_id: shortId(i) })).join('')
    for (let n = 0; n < 100; n++) pager.push(Buffer.from(chunk))
    pager.end()
    expect(pager.total).toBe(100_000)
    expect(pager.rows).toHaveLength(50)
    expect(pager.rows[0]!.queue_id).toBe(shortId(100))
  })

  it('the finder returns the message with that id', () => {
    const finder = new QueueFinder(shortId(4))
    stream(finder, [1, 4, 5].map(i => line({ queue_id: shortId(i), queue_name: i === 4 ? 'hold' : 'deferred' })).join(''))
    expect(finder.found).toMatchObject({ queue_id: shortId(4), queue_name: 'hold' })
  })
})
