import { consola } from 'consola'
import { certificatesDb } from '#server/db/queries/certificates'
import { useConfig } from '#server/utils/config'
import { scrubSecrets } from '#server/utils/errors'
import { tlsPaths } from './paths'
import { ensureSelfSigned } from './self-signed'

let pending: Promise<void> | undefined

async function importDay0(): Promise<void> {
  const config = useConfig()
  const paths = tlsPaths(config.paths)
  const row = await certificatesDb.createIfEmpty(async () => {
    const pair = ensureSelfSigned(paths, config.mailHostname)
    return { ...pair.meta, hostname: config.mailHostname, source: 'self-signed', cert_path: paths.selfSigned.cert, key_path: paths.selfSigned.key }
  })
  if (row) consola.info(`TLS: day-0 self-signed certificate ${row.id} for ${row.hostname} (valid until ${row.not_after.toISOString()})`)
}

/**
 * Makes sure the certificates table is never empty, so 587/993 and HTTPS have something to serve
 * from the first start: if it has no row, the self-signed pair (the installer's, or one made now)
 * is imported. Once per process; a failure is retried by the next caller.
 */
export const day0 = {
  ensure(): Promise<void> {
    pending ??= importDay0().catch((err: unknown) => {
      pending = undefined
      throw err
    })
    return pending
  },

  /** ensure(), but a failure (no openssl, say) is logged, not thrown: reads go on with whatever rows exist. */
  settled(): Promise<void> {
    return day0.ensure().catch((err: Error) => consola.warn(`TLS: day-0 certificate not imported: ${scrubSecrets(err.message)}`))
  },
}
