import type { Fragment, Helper, Sql } from 'postgres'
import type { Page } from '#shared/types/list'

/** The OFFSET of a 1-based page. */
export const pageOffset = (page: Page) => (page.page - 1) * page.limit

/**
 * One page of `SELECT <columns> FROM <from> <where> ORDER BY <orderBy>` and the total count, as two
 * statements in parallel. For small admin tables (tokens, webhooks, certificates); the mailbox list
 * has its own index-walking paths (mailboxes.ts).
 */
export async function pagedSelect<T extends object>(sql: Sql, query: { columns: Fragment | Helper<readonly string[]>, from: Fragment, where?: Fragment, orderBy: Fragment }, page: Page): Promise<{ rows: T[], total: number }> {
  const where = query.where ?? sql``
  const [rows, counts] = await Promise.all([
    sql<T[]>`SELECT ${query.columns} FROM ${query.from} ${where} ORDER BY ${query.orderBy} LIMIT ${page.limit} OFFSET ${pageOffset(page)}`,
    sql<{ total: number }[]>`SELECT count(*)::int AS total FROM ${query.from} ${where}`,
  ])
  return { rows: [...rows], total: counts[0]!.total }
}
