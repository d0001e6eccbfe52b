import * as v from 'valibot'

/**
 * Postfix queue ids (postconf(5) `enable_long_queue_ids`), the two forms Postfix writes:
 * - short (the default): the microseconds as 5 hex digits, then the queue file's inode number in hex
 *   (up to 16 digits for a 64-bit inode): 6–21 upper-case hex characters, e.g. `3F1A2B4C5D`;
 * - long: 6 or more characters of seconds and 4 of microseconds in Postfix's 52-character alphabet
 *   (digits and letters without the vowels), the separator `z`, then the inode in the first 51
 *   characters of that alphabet (so without `z`), e.g. `3Pt2mN2VXxznjll`.
 * Anything else never reaches postsuper's argv.
 */
export const SHORT_QUEUE_ID_RE = /^[0-9A-F]{6,21}$/
export const LONG_QUEUE_ID_RE = /^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,15}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]{1,12}$/

export const isQueueId = (value: string): boolean => SHORT_QUEUE_ID_RE.test(value) || LONG_QUEUE_ID_RE.test(value)

export const queueId = v.pipe(
  v.string(),
  v.check(isQueueId, 'must be a Postfix queue id (6–21 upper-case hex characters, or a long queue id such as 3Pt2mN2VXxznjll)'),
)

/** The queues `postqueue -j` reports (maildrop: posted locally, not yet picked up). */
export const QUEUE_NAMES = ['maildrop', 'incoming', 'active', 'deferred', 'hold'] as const
export type QueueName = (typeof QUEUE_NAMES)[number]

/** GET /api/v1/queue's filters (with the page): one queue, and `q`, a literal substring of the sender or a recipient. */
export const queueFilterEntries = {
  queue: v.optional(v.picklist(QUEUE_NAMES)),
  q: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(320, 'must be at most 320 characters'))),
}
