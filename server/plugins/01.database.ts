import { consola } from 'consola'
import { openDatabase } from '#server/db/connect'
import { migrate, type Migration } from '#server/db/migrate'
import { useConfig } from '#server/utils/config'
import { setDatabase } from '#server/db/use'
import { scrubSecrets } from '#server/utils/errors'

async function loadMigrations(): Promise<Migration[]> {
  const storage = useStorage('assets:migrations')
  const keys = (await storage.getKeys()).filter(k => k.endsWith('.sql'))
  return Promise.all(keys.map(async key => ({ version: key.replace(/\.sql$/, ''), sql: String(await storage.getItem(key)) })))
}

/** Connects (embedded PGlite when no DATABASE_URL), applies migrations, then opens the API for requests. */
export default defineNitroPlugin((nitroApp) => {
  const config = useConfig()
  const start = (async () => {
    const db = await openDatabase(config.databaseUrl, config.paths.embeddedDbDir)
    const applied = await migrate(db.sql, await loadMigrations())
    if (applied.length) consola.info(`Applied migrations: ${applied.join(', ')}`)
    setDatabase(db)
    nitroApp.hooks.hookOnce('close', () => db.close())
  })()
  start.catch((err: Error) => {
    consola.error(`Database start-up failed: ${scrubSecrets(err.message)}`)
    process.exit(1)
  })
})
