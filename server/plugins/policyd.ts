import { consola } from 'consola'
import { ListenError, policyd } from '#server/policyd/daemon'
import { useConfig } from '#server/utils/config'
import { waitForDatabase } from '#server/db/use'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const DB_WAIT_MS = 60_000
// A port held by something else (an old panel still shutting down) may free up: keep trying.
const LISTEN_RETRY_MS = 10_000

/**
 * Starts the Postfix policy daemon on POLICYD_LISTEN once the database is migrated (it reads the
 * limits tables), and closes it on shutdown: no new connections, requests already received are
 * answered. A listen failure is logged and retried; it never stops the panel's API.
 */
export default defineNitroPlugin((nitroApp) => {
  const { policydListen } = useConfig()
  let closing = false
  let retry: NodeJS.Timeout | undefined

  async function start(): Promise<void> {
    while (!closing) {
      try {
        await waitForDatabase(DB_WAIT_MS)
        break
      }
      catch { /* still starting: keep waiting */ }
    }
    if (closing) return
    try {
      const { host, port } = await policyd.start(policydListen)
      consola.info(`Policy daemon listening on ${host.includes(':') ? `[${host}]` : host}:${port}`)
    }
    catch (err) {
      if (err instanceof ListenError) {
        consola.error(`Policy daemon not started: ${err.message}`)
        return
      }
      consola.error(`Policy daemon cannot listen on ${policydListen}: ${(err as Error).message}; retrying in ${LISTEN_RETRY_MS / 1000} s`)
      if (!closing) retry = setTimeout(() => void start(), LISTEN_RETRY_MS)
    }
  }
  void start()

  // Any successful write through this process's API (limits, mailboxes, domains, a restore) makes
  // the next policy decision re-check the limits version first, so the change applies at once here.
  nitroApp.hooks.hook('beforeResponse', (event) => {
    if (MUTATING.has(event.method)) policyd.limitsMayHaveChanged()
  })

  // Registered before the database plugin's own close hook (which it adds once connected), so
  // decisions still in flight reach the database before the pool closes.
  nitroApp.hooks.hookOnce('close', async () => {
    closing = true
    clearTimeout(retry)
    await policyd.stop()
  })
})
