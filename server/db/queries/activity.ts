import { useDb } from '#server/db/use'

// The name every panel process gives its connections (server/db/connect.ts `application_name`).
const APPLICATION_NAME = 'backendside-mailpanel'

export const activityDb = {
  /** One round trip (GET /health). */
  async ping(): Promise<void> {
    await useDb()`SELECT 1`
  },

  /**
   * The panel's connections to this database by state (active, idle, idle in transaction …), of
   * every panel process sharing it (postgres.js keeps its pool's state private); the asking
   * connection itself is left out.
   */
  async panelConnections(): Promise<{ state: string, count: number }[]> {
    const rows = await useDb()<{ state: string | null, count: number }[]>`
      SELECT coalesce(state, 'unknown') AS state, count(*)::int AS count FROM pg_stat_activity
      WHERE application_name = ${APPLICATION_NAME} AND datname = current_database() AND pid <> pg_backend_pid()
      GROUP BY 1 ORDER BY 1`
    return rows.map(r => ({ state: r.state ?? 'unknown', count: r.count }))
  },
}
