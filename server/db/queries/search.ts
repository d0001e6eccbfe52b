import type { Fragment, Sql } from 'postgres'

/** `%term%` for ILIKE with the user's own % and _ taken literally. */
export const containsPattern = (term: string): string => `%${term.replace(/[\\%_]/g, c => `\\${c}`)}%`

/**
 * A search's total is counted up to this many matches and then reported as `total_capped`: counting
 * every match of a term that hits most of a million rows costs 0.4 s however well it is indexed, while
 * a page of them costs under a millisecond. Beyond this an admin refines the term.
 */
export const SEARCH_COUNT_CAP = 1000

export interface SearchTotal {
  total: number
  capped: boolean
}

/** `SELECT count(*) FROM <from> <where>`, stopping at SEARCH_COUNT_CAP + 1 rows. */
export async function cappedCount(sql: Sql, fromWhere: Fragment): Promise<SearchTotal> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${fromWhere} LIMIT ${SEARCH_COUNT_CAP + 1}) s`
  const n = row!.n
  return n > SEARCH_COUNT_CAP ? { total: SEARCH_COUNT_CAP, capped: true } : { total: n, capped: false }
}

/**
 * Runs a search's statements with plans made for the term at hand. postgres.js prepares every
 * statement, and after five runs PostgreSQL may keep a generic plan that assumes any pattern matches
 * 0.5 % of the rows: at 100,000 mailboxes the capped count then scanned the table for a term that
 * matches nothing (100 ms instead of under 1, bench:scale). Without a term, `fn` runs on the pool.
 */
export function withTermPlans<T>(sql: Sql, term: string | undefined, fn: (q: Sql) => Promise<T>): Promise<T> {
  if (!term) return fn(sql)
  return sql.begin(async (tx) => {
    await tx`SET LOCAL plan_cache_mode = force_custom_plan`
    // `fn` only writes statements with it, which a transaction takes like the pool does.
    return fn(tx as unknown as Sql)
  }) as Promise<T>
}
