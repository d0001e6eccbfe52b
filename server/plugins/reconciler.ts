import { consola } from 'consola'
import { reconciler } from '#server/mailstack/runner'
import { databaseReady } from '#server/db/use'

/** Reconciles once at start (so a fresh install or an upgrade's new templates take effect); the schedule is a Nitro task. */
export default defineNitroPlugin((nitroApp) => {
  let closing = false
  databaseReady()
    .then(async () => {
      if (!closing) await reconciler.run('start')
    })
    .catch((err: Error) => consola.warn(`Reconcile at start could not run: ${err.message}`))
  // Registered at set-up, before the database plugin's own close hook: a run in progress finishes first.
  nitroApp.hooks.hookOnce('close', async () => {
    closing = true
    await reconciler.idle()
  })
})
