import type { Sql } from 'postgres'

/** Where one domain's mailboxes sit in the address-ordered list of all mailboxes. */
export interface DomainSpan {
  domainId: number
  /** Mailboxes in domains that sort before this one. */
  before: number
  count: number
}

export interface MailboxLayout {
  version: string
  spans: DomainSpan[]
  total: number
}

/** Domains (and the offset into each) that rows [offset, offset + limit) of the list fall in. Pure. */
export function spansFor(layout: MailboxLayout, offset: number, limit: number): { domainIds: number[], offsets: number[] } {
  const { spans } = layout
  let lo = 0
  let hi = spans.length
  while (lo < hi) { // first span that ends after `offset`
    const mid = (lo + hi) >>> 1
    if (spans[mid]!.before + spans[mid]!.count > offset) hi = mid
    else lo = mid + 1
  }
  const domainIds: number[] = []
  const offsets: number[] = []
  for (let i = lo; i < spans.length && spans[i]!.before < offset + limit; i++) {
    domainIds.push(spans[i]!.domainId)
    offsets.push(Math.max(0, offset - spans[i]!.before))
  }
  return { domainIds, offsets }
}

let cached: MailboxLayout | undefined

/** The layout, read in one statement together with its version (so the two always agree). */
export async function loadLayout(sql: Sql): Promise<MailboxLayout> {
  const [row] = await sql<{ version: string, domains: [number, number][] }[]>`
    SELECT (SELECT version::text FROM mailbox_list_version) AS version,
           coalesce(json_agg(json_build_array(id, mailbox_count) ORDER BY name) FILTER (WHERE mailbox_count > 0), '[]') AS domains
    FROM domains`
  let before = 0
  const spans = row!.domains.map(([domainId, count]) => {
    const span = { domainId, before, count }
    before += count
    return span
  })
  cached = { version: row!.version, spans, total: before }
  return cached
}

export const mailboxLayout = {
  current: (): MailboxLayout | undefined => cached,
  load: loadLayout,
}
